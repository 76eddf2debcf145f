// What the CUDA benchmarks share: failing loudly on a CUDA or library
// error, the skip on a machine without a usable GPU, and timing with CUDA
// events.
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "dilemma_cuda.h"

namespace bench {

inline void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "%s failed: %s\n", call, cudaGetErrorString(e));
    std::exit(1);
  }
}

inline void check_abi(int status, const char* message, const char* call) {
  if (status != DLM_CUDA_OK) {
    std::fprintf(stderr, "%s failed (status %d): %s\n", call, status, message);
    std::exit(1);
  }
}

// Without a usable device: prints why and returns the exit status (0, or 1
// under DILEMMA_REQUIRE_CUDA=1). With one: returns -1.
inline int exit_status_without_device() {
  char err[512] = "";
  const int count = dlm_cuda_device_count(err, sizeof err);
  if (count > 0) return -1;
  std::printf("%s%s\n", count == 0 ? "" : "no CUDA device: ", err);
  const char* require = std::getenv("DILEMMA_REQUIRE_CUDA");
  if (require != nullptr && std::strcmp(require, "1") == 0) return 1;
  std::printf("benchmark skipped\n");
  return 0;
}

// The properties of device 0, the one every benchmark runs on.
inline dlm_cuda_device_props device_info() {
  char err[512] = "";
  dlm_cuda_device_props info;
  check_abi(dlm_cuda_device_info(0, &info, err, sizeof err), err, "dlm_cuda_device_info");
  return info;
}

// The report's first line: which device, with its size.
inline void print_device(const dlm_cuda_device_props& info) {
  std::printf("device: %s (compute capability %d.%d, %d SMs, %.1f GiB)\n", info.name, info.compute_major,
              info.compute_minor, info.multiprocessors, info.total_memory_bytes / 1073741824.0);
}

// Appends one JSON object per line to the file named by DILEMMA_BENCH_JSON
// (nothing when unset), so that scripts/cuda-check.sh collects every
// benchmark's figures in one machine-readable file beside the printed
// tables. name and unit are plain ASCII without quotes or backslashes.
inline void record(const char* bench, const char* name, double value, const char* unit, double cpu_value = -1.0,
                   double fraction_of_peak = -1.0) {
  const char* path = std::getenv("DILEMMA_BENCH_JSON");
  if (path == nullptr || path[0] == '\0') return;
  std::FILE* f = std::fopen(path, "a");
  if (f == nullptr) {
    std::fprintf(stderr, "cannot append to DILEMMA_BENCH_JSON=%s\n", path);
    return;
  }
  std::fprintf(f, "{\"bench\":\"%s\",\"name\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"", bench, name, value, unit);
  if (cpu_value >= 0) std::fprintf(f, ",\"cpu\":%.6g", cpu_value);
  if (fraction_of_peak >= 0) std::fprintf(f, ",\"fractionOfPeak\":%.4f", fraction_of_peak);
  std::fprintf(f, "}\n");
  std::fclose(f);
}

// Mean seconds per call of launch() on `stream` over `repeats` calls, after
// `warmup` untimed ones.
template <typename Launch>
double seconds_per_call(cudaStream_t stream, int warmup, int repeats, Launch&& launch) {
  for (int i = 0; i < warmup; ++i) launch();
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  check(cudaEventRecord(start, stream), "cudaEventRecord");
  for (int i = 0; i < repeats; ++i) launch();
  check(cudaEventRecord(stop, stream), "cudaEventRecord");
  check(cudaEventSynchronize(stop), "cudaEventSynchronize");
  float ms = 0.0f;
  check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  check(cudaGetLastError(), "a timed launch");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms * 1e-3 / repeats;
}

}  // namespace bench
