// Driver and device queries of the C ABI.
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cstdio>
#include <string>

#include "dilemma_cuda.h"
#include "status.cuh"

namespace dilemma::cuda {

namespace {

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

Failure probe_driver() {
  // The same soname the CUDA runtime opens; the handle stays open for it.
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    return {DLM_CUDA_ERR_NO_DRIVER, std::string("no CUDA driver: ") + (why ? why : "libcuda.so.1 cannot be loaded")};
  }
  using DriverGetVersion = int (*)(int*);  // CUresult cuDriverGetVersion(int*)
  auto get_version = reinterpret_cast<DriverGetVersion>(dlsym(lib, "cuDriverGetVersion"));
  int version = 0;
  if (get_version == nullptr || get_version(&version) != 0)
    return {DLM_CUDA_ERR_NO_DRIVER, "no CUDA driver: libcuda.so.1 does not report its version"};
  // Minor version compatibility: any driver of the runtime's major version runs it.
  const int needed = CUDART_VERSION / 1000 * 1000;
  if (version < needed)
    return {DLM_CUDA_ERR_DRIVER_TOO_OLD, "driver too old: it supports CUDA " + version_text(version) +
                                             ", this library was built with CUDA " + version_text(CUDART_VERSION) +
                                             " and needs a driver for CUDA " + version_text(needed) + " or newer"};
  return {DLM_CUDA_OK, ""};
}

int device_count() {
  require_driver();
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e == cudaErrorNoDevice) return 0;
  check(e, "cudaGetDeviceCount");
  return count;
}

// An attribute the device may not report: 0 then, and the runtime's last
// error is cleared so that it does not surface in a later, unrelated check.
int optional_attribute(cudaDeviceAttr attr, int device) {
  int v = 0;
  if (cudaDeviceGetAttribute(&v, attr, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return v;
}

}  // namespace

void require_driver() {
  static const Failure driver = probe_driver();
  if (driver.status != DLM_CUDA_OK) throw driver;
}

}  // namespace dilemma::cuda

using dilemma::cuda::abi_call;

extern "C" {

DLM_CUDA_API int dlm_cuda_abi_version(void) { return DLM_CUDA_ABI_VERSION; }

DLM_CUDA_API int dlm_cuda_device_count(char* err, size_t err_size) {
  int count = 0;
  const int status = abi_call(err, err_size, [&] { count = dilemma::cuda::device_count(); });
  if (status != DLM_CUDA_OK) return -status;
  if (count == 0) {
    int raw = 0;
    const cudaError_t e = cudaGetDeviceCount(&raw);
    dilemma::cuda::write_message(err, err_size,
                                 std::string("no CUDA device: ") + (e == cudaSuccess ? "the driver lists none"
                                                                                     : cudaGetErrorString(e)));
  }
  return count;
}

DLM_CUDA_API int dlm_cuda_device_info(int device, dlm_cuda_device_props* out, char* err, size_t err_size) {
  return abi_call(err, err_size, [&] {
    using namespace dilemma::cuda;
    if (out == nullptr) invalid("out must not be null");
    const int count = device_count();
    if (device < 0 || device >= count)
      fail(count == 0 ? DLM_CUDA_ERR_NO_DEVICE : DLM_CUDA_ERR_INVALID_ARGUMENT,
           "device must be in [0, " + std::to_string(count) + "), got " + std::to_string(device));
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
    *out = dlm_cuda_device_props{};
    std::snprintf(out->name, sizeof out->name, "%s", p.name);
    out->compute_major = p.major;
    out->compute_minor = p.minor;
    out->multiprocessors = p.multiProcessorCount;
    out->total_memory_bytes = static_cast<int64_t>(p.totalGlobalMem);
    out->memory_clock_khz = optional_attribute(cudaDevAttrMemoryClockRate, device);
    out->memory_bus_width_bits = optional_attribute(cudaDevAttrGlobalMemoryBusWidth, device);
    out->peak_bandwidth_gbps =
        2.0 * static_cast<double>(out->memory_clock_khz) * 1e3 * (out->memory_bus_width_bits / 8.0) / 1e9;
  });
}

DLM_CUDA_API int dlm_cuda_versions(int* driver, int* runtime, char* err, size_t err_size) {
  return abi_call(err, err_size, [&] {
    using namespace dilemma::cuda;
    if (driver == nullptr || runtime == nullptr) invalid("driver and runtime must not be null");
    // Both answer without a driver (driver = 0), so this works on any machine.
    check(cudaDriverGetVersion(driver), "cudaDriverGetVersion");
    check(cudaRuntimeGetVersion(runtime), "cudaRuntimeGetVersion");
  });
}

}  // extern "C"
