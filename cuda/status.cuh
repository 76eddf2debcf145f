// Failures inside libdilemma_cuda and their conversion at the C ABI boundary:
// internal code throws Failure, every exported function runs its body through
// abi_call(), which turns any exception into a status and a message, so
// nothing unwinds into the caller and nothing aborts the process.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "dilemma_cuda.h"

namespace dilemma::cuda {

struct Failure {
  int status;
  std::string message;
};

[[noreturn]] inline void fail(int status, std::string message) { throw Failure{status, std::move(message)}; }

[[noreturn]] inline void invalid(std::string message) { fail(DLM_CUDA_ERR_INVALID_ARGUMENT, std::move(message)); }

inline void write_message(char* err, size_t size, const std::string& message) {
  if (err == nullptr || size == 0) return;
  const size_t n = message.size() < size - 1 ? message.size() : size - 1;
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

inline int status_of(cudaError_t e) {
  switch (e) {
    case cudaErrorMemoryAllocation:
      return DLM_CUDA_ERR_OUT_OF_MEMORY;
    case cudaErrorNoDevice:
      return DLM_CUDA_ERR_NO_DEVICE;
    case cudaErrorInsufficientDriver:
      return DLM_CUDA_ERR_DRIVER_TOO_OLD;
    default:
      return DLM_CUDA_ERR_CUDA;
  }
}

inline std::string describe(cudaError_t e, const char* call) {
  return std::string(call) + " failed: " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e);
}

// Every CUDA runtime call goes through here; `call` names it in the message.
inline void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) fail(status_of(e), describe(e, call));
}

// Fails unless libcuda loads and supports this library's CUDA major version
// (device.cu). The static runtime reports a missing driver and an old one
// with the same error code, which would leave the user guessing.
void require_driver();

template <typename Body>
int abi_call(char* err, size_t err_size, Body&& body) noexcept {
  try {
    body();
    return DLM_CUDA_OK;
  } catch (const Failure& f) {
    write_message(err, err_size, f.message);
    return f.status;
  } catch (const std::bad_alloc&) {
    write_message(err, err_size, "out of host memory");
    return DLM_CUDA_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    write_message(err, err_size, std::string("internal error: ") + e.what());
    return DLM_CUDA_ERR_INTERNAL;
  } catch (...) {
    write_message(err, err_size, "internal error");
    return DLM_CUDA_ERR_INTERNAL;
  }
}

}  // namespace dilemma::cuda
