// What the GPU parity tests share: the one tolerance rule, the "ok - <case>"
// / "not ok - <case>" output the project's test runner counts, and the skip
// on a machine without a usable GPU.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dilemma_cuda.h"

namespace parity {

// The one tolerance rule for every comparison: |gpu - cpu| <= kAtol + kRtol * |cpu|.
// Kernels that only add and multiply (built with --fmad=false) match the CPU
// bit for bit; the margin absorbs a different order of double additions
// (leave-one-out, the loss sums) and the last bits of the GPU's exp and log.
inline constexpr double kAtol = 1e-6;
inline constexpr double kRtol = 1e-5;

inline bool within(double gpu, double cpu) {
  if (std::isnan(cpu) || std::isnan(gpu)) return std::isnan(cpu) && std::isnan(gpu);
  if (std::isinf(cpu) || std::isinf(gpu)) return gpu == cpu;
  return std::fabs(gpu - cpu) <= kAtol + kRtol * std::fabs(cpu);
}

inline int& failures() {
  static int n = 0;
  return n;
}

inline void expect(bool ok, const std::string& what) {
  if (!ok) ++failures();
  std::printf("%s - %s\n", ok ? "ok" : "not ok", what.c_str());
  std::fflush(stdout);
}

inline void skip(const std::string& what, const std::string& reason) {
  std::printf("ok - %s # SKIP %s\n", what.c_str(), reason.c_str());
}

struct Message {
  char text[512];
  Message() { text[0] = '\0'; }
};

// Reports only failures: the comparison that follows reports success.
inline bool expect_ok(int status, const Message& m, const std::string& what) {
  if (status != DLM_CUDA_OK) expect(false, what + ": status " + std::to_string(status) + ": " + m.text);
  return status == DLM_CUDA_OK;
}

// Element by element under the tolerance rule, reporting the worst difference
// and how many elements differ in any bit.
template <typename T>
void compare(const std::vector<T>& gpu, const std::vector<T>& cpu, const std::string& what) {
  if (gpu.size() != cpu.size()) {
    expect(false, what + ": sizes differ");
    return;
  }
  double worst = 0.0;
  size_t bad = 0, first_bad = 0, differing_bits = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    const double g = static_cast<double>(gpu[i]), c = static_cast<double>(cpu[i]);
    if (std::memcmp(&gpu[i], &cpu[i], sizeof(T)) != 0) ++differing_bits;
    if (!within(g, c)) {
      if (bad++ == 0) first_bad = i;
    } else if (std::isfinite(c) && std::fabs(g - c) > worst) {
      worst = std::fabs(g - c);
    }
  }
  if (bad > 0) {
    expect(false, what + ": " + std::to_string(bad) + " of " + std::to_string(cpu.size()) +
                      " outside tolerance, first at " + std::to_string(first_bad) + " (gpu " +
                      std::to_string(static_cast<double>(gpu[first_bad])) + ", cpu " +
                      std::to_string(static_cast<double>(cpu[first_bad])) + ")");
  } else {
    char detail[128];
    std::snprintf(detail, sizeof detail, " (max |diff| %.3g, %zu of %zu differ in bits)", worst, differing_bits,
                  cpu.size());
    expect(true, what + detail);
  }
}

// Exact equality, for what must not differ at all (actions, rewards, flags).
template <typename T>
void compare_exact(const std::vector<T>& gpu, const std::vector<T>& cpu, const std::string& what) {
  size_t bad = 0, first_bad = 0;
  for (size_t i = 0; i < cpu.size() && i < gpu.size(); ++i)
    if (std::memcmp(&gpu[i], &cpu[i], sizeof(T)) != 0 && bad++ == 0) first_bad = i;
  if (gpu.size() != cpu.size()) {
    expect(false, what + ": sizes differ");
  } else if (bad > 0) {
    expect(false, what + ": " + std::to_string(bad) + " of " + std::to_string(cpu.size()) + " differ, first at " +
                      std::to_string(first_bad) + " (gpu " + std::to_string(static_cast<double>(gpu[first_bad])) +
                      ", cpu " + std::to_string(static_cast<double>(cpu[first_bad])) + ")");
  } else {
    expect(true, what + " (identical, " + std::to_string(cpu.size()) + " values)");
  }
}

// The number of usable devices; 0 after printing why and how the rest is
// skipped. DILEMMA_REQUIRE_CUDA=1 makes the caller fail instead (see finish).
inline int devices(const std::vector<std::string>& gpu_parts) {
  Message m;
  const int count = dlm_cuda_device_count(m.text, sizeof m.text);
  if (count > 0) return count;
  const std::string reason = count == 0 ? m.text : std::string("no CUDA device: ") + m.text;
  std::printf("%s\n", reason.c_str());
  for (const std::string& part : gpu_parts) skip(part, reason);
  return 0;
}

inline bool cuda_required() {
  const char* require = std::getenv("DILEMMA_REQUIRE_CUDA");
  return require != nullptr && std::strcmp(require, "1") == 0;
}

// Exit status of a test without a device: 0 when what could run passed,
// unless a GPU was required.
inline int finish_without_device() {
  if (cuda_required()) {
    std::printf("DILEMMA_REQUIRE_CUDA=1: failing instead of skipping\n");
    return 1;
  }
  if (failures() == 0)
    std::printf("GPU parity tests skipped; the checks that need no device passed\n");
  else
    std::printf("%d failures\n", failures());
  return failures() == 0 ? 0 : 1;
}

inline int finish() {
  if (failures() != 0) {
    std::printf("%d failures\n", failures());
    return 1;
  }
  std::printf("all GPU parity checks passed (tolerance %g + %g * |cpu|)\n", kAtol, kRtol);
  return 0;
}

}  // namespace parity
