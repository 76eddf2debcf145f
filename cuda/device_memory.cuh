// Owners of device memory and streams for the host-pointer entry points, so
// that every early exit (a failed copy, a bad launch) still frees them.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "status.cuh"

namespace dilemma::cuda {

template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(size_t count) : count_(count) {
    if (count > 0) check(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)), "cudaMalloc");
  }
  ~DeviceArray() {
    // Teardown after an earlier failure: the first error is what the caller sees.
    if (data_ != nullptr) (void)cudaFree(data_);
  }
  DeviceArray(DeviceArray&& other) noexcept : data_(other.data_), count_(other.count_) {
    other.data_ = nullptr;
    other.count_ = 0;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray& operator=(DeviceArray&&) = delete;

  T* get() const { return data_; }

  void upload(const T* host, cudaStream_t stream) {
    if (count_ > 0)
      check(cudaMemcpyAsync(data_, host, count_ * sizeof(T), cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
  }
  void download(T* host, cudaStream_t stream) const {
    if (count_ > 0)
      check(cudaMemcpyAsync(host, data_, count_ * sizeof(T), cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync");
  }

 private:
  T* data_ = nullptr;
  size_t count_ = 0;
};

// A non-blocking stream of its own per call, so that calls from several
// worker threads do not serialize on the legacy default stream.
class Stream {
 public:
  Stream() { check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags"); }
  ~Stream() {
    if (stream_ != nullptr) (void)cudaStreamDestroy(stream_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  cudaStream_t get() const { return stream_; }
  void sync() const { check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

 private:
  cudaStream_t stream_ = nullptr;
};

}  // namespace dilemma::cuda
