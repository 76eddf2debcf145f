// Device memory for the tests of the device entry points, through the CUDA
// runtime the test links; freed on every path. A failed allocation leaves
// the buffer empty (ok() false), for the test to report.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <vector>

namespace parity {

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) {
    if (cudaMalloc(reinterpret_cast<void**>(&p_), n * sizeof(T)) != cudaSuccess) p_ = nullptr;
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() {
    if (p_) cudaFree(p_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  bool ok() const { return p_ != nullptr; }
  T* get() const { return p_; }

  void upload(const std::vector<T>& host) {
    if (p_ && host.size() == n_) cudaMemcpy(p_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice);
  }
  // Waits for all the device's work first: the library enqueues through its
  // own (static) CUDA runtime, on streams this runtime does not order.
  std::vector<T> host() const {
    std::vector<T> v(n_);
    cudaDeviceSynchronize();
    if (p_) cudaMemcpy(v.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost);
    return v;
  }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace parity
