// Checks shared by the entry points of the C ABI (credit_api.cu,
// loss_api.cu, rollout_api.cu): each runs them before any allocation or
// copy, so that a bad argument or a machine without a GPU gets one clear
// message and nothing is written.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "status.cuh"

namespace dilemma::cuda {

// Far above any device memory, low enough that byte counts cannot overflow.
inline constexpr int64_t kMaxElements = int64_t{1} << 40;

inline void check_ptr(const void* p, const char* name) {
  if (p == nullptr) invalid(std::string(name) + " must not be null");
}

// Fails with a reason (no driver, driver too old, no device).
inline void require_device() {
  require_driver();
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) fail(DLM_CUDA_ERR_NO_DEVICE, "no CUDA device");
  check(e, "cudaGetDeviceCount");
}

inline cudaStream_t as_stream(void* stream) { return static_cast<cudaStream_t>(stream); }

// A number as the core's messages show it (dilemma::format_number).
inline std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace dilemma::cuda
