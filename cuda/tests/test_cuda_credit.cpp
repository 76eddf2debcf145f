// Parity of libdilemma_cuda with the CPU: every kernel against the function
// the CPU path runs (the DLM_HD row functions of credit_math.hpp over whole
// rows; leave-one-out against a plain double-precision implementation), on
// random inputs and edge shapes. Runs through the C ABI only, so it needs
// neither Node nor the rest of the core.
//
// Without a usable GPU it checks what needs none (ABI version, argument
// errors), prints "no CUDA device: <reason>" and exits 0, so that it passes
// on any machine; DILEMMA_REQUIRE_CUDA=1 makes that a failure instead
// (parity.hpp).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "credit_math.hpp"
#include "dilemma_cuda.h"
#include "parity.hpp"

namespace {

using parity::compare;
using parity::expect;
using parity::expect_ok;
using parity::Message;

std::vector<float> random_values(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// Leave-one-out written out plainly in double, independent of the library's
// group plan and of credit_math.hpp.
std::vector<float> cpu_leave_one_out(const std::vector<float>& x, const int32_t* groups, int64_t batch,
                                     int64_t steps) {
  std::vector<int32_t> id(static_cast<size_t>(batch), 0);
  if (groups != nullptr) id.assign(groups, groups + batch);
  std::unordered_map<int32_t, std::vector<int64_t>> members;
  for (int64_t b = 0; b < batch; ++b) members[id[b]].push_back(b);
  std::vector<float> out(x.size());
  for (const auto& [g, rows] : members) {
    const double n = static_cast<double>(rows.size());
    for (int64_t t = 0; t < steps; ++t) {
      double sum = 0.0;
      for (int64_t b : rows) sum += x[b * steps + t];
      for (int64_t b : rows) {
        const double v = x[b * steps + t];
        out[b * steps + t] = rows.size() == 1 ? static_cast<float>(v) : static_cast<float>(v - (sum - v) / (n - 1.0));
      }
    }
  }
  return out;
}

struct Shape {
  int64_t batch, steps;
  float gamma;
};

void check_shape(const Shape& s, std::mt19937& rng) {
  const int64_t batch = s.batch, steps = s.steps;
  const size_t n = static_cast<size_t>(batch * steps);
  const std::string tag = "[" + std::to_string(batch) + " x " + std::to_string(steps) + ", gamma " +
                          std::to_string(s.gamma).substr(0, 4) + "] ";
  const std::vector<float> a = random_values(rng, n), b = random_values(rng, n),
                           v = random_values(rng, static_cast<size_t>(batch * (steps + 1)));
  Message m;

  {
    std::vector<float> cpu(n), gpu(n);
    for (int64_t r = 0; r < batch; ++r)
      dilemma::credit::discounted_returns_row(&a[r * steps], &cpu[r * steps], steps, s.gamma);
    expect_ok(dlm_cuda_discounted_returns(a.data(), gpu.data(), batch, steps, s.gamma, m.text, sizeof m.text), m,
              tag + "discounted returns");
    compare(gpu, cpu, tag + "discounted returns");
    std::vector<float> in_place = a;
    expect_ok(dlm_cuda_discounted_returns(in_place.data(), in_place.data(), batch, steps, s.gamma, m.text,
                                          sizeof m.text),
              m, tag + "discounted returns in place");
    compare(in_place, cpu, tag + "discounted returns in place");
  }
  {
    const float lambda = 0.95f;
    std::vector<float> cpu(n), gpu(n);
    for (int64_t r = 0; r < batch; ++r)
      dilemma::credit::gae_row(&a[r * steps], &v[r * (steps + 1)], &cpu[r * steps], steps, s.gamma, lambda);
    expect_ok(dlm_cuda_gae(a.data(), v.data(), gpu.data(), batch, steps, s.gamma, lambda, m.text, sizeof m.text), m,
              tag + "GAE");
    compare(gpu, cpu, tag + "GAE");
    std::vector<float> in_place = a;
    expect_ok(dlm_cuda_gae(in_place.data(), v.data(), in_place.data(), batch, steps, s.gamma, lambda, m.text,
                           sizeof m.text),
              m, tag + "GAE in place");
    compare(in_place, cpu, tag + "GAE in place");
  }
  for (int form : {DLM_CUDA_AA_DISCOUNTED, DLM_CUDA_AA_MEAN}) {
    for (int include_current : {0, 1}) {
      const float beta = 0.7f;
      const std::string what = tag + "AA " + (form == DLM_CUDA_AA_MEAN ? "mean" : "discounted") +
                               (include_current ? ", include current" : "");
      std::vector<float> cpu(n), gpu(n);
      for (int64_t r = 0; r < batch; ++r)
        dilemma::credit::advantage_alignment_row(&a[r * steps], &b[r * steps], &cpu[r * steps], steps, beta, s.gamma,
                                                 include_current != 0, static_cast<dilemma::credit::AaForm>(form));
      expect_ok(dlm_cuda_advantage_alignment(a.data(), b.data(), gpu.data(), batch, steps, beta, s.gamma,
                                             include_current, form, m.text, sizeof m.text),
                m, what);
      compare(gpu, cpu, what);
      if (form == DLM_CUDA_AA_DISCOUNTED && !include_current) {
        std::vector<float> in_place = a;
        expect_ok(dlm_cuda_advantage_alignment(in_place.data(), b.data(), in_place.data(), batch, steps, beta, s.gamma,
                                               include_current, form, m.text, sizeof m.text),
                  m, what + " in place");
        compare(in_place, cpu, what + " in place");
      }
    }
  }

  // Group layouts: one group, pairs, arbitrary ids (negative, huge, out of
  // order), everyone alone, and one big group (more members than a chunk)
  // mixed with singletons.
  std::uniform_int_distribution<int32_t> pick(-5, 5);
  std::vector<std::pair<std::string, std::vector<int32_t>>> layouts;
  std::vector<int32_t> pairs(batch), arbitrary(batch), alone(batch), mixed(batch);
  for (int64_t r = 0; r < batch; ++r) {
    pairs[r] = static_cast<int32_t>(r / 2);
    arbitrary[r] = pick(rng) * 400000000;
    alone[r] = static_cast<int32_t>(batch - r);
    mixed[r] = r % 3 == 0 ? -7 : static_cast<int32_t>(r);
  }
  layouts.emplace_back("pairs", pairs);
  layouts.emplace_back("arbitrary ids", arbitrary);
  layouts.emplace_back("singletons", alone);
  layouts.emplace_back("big group and singletons", mixed);
  {
    const std::vector<float> cpu = cpu_leave_one_out(a, nullptr, batch, steps);
    std::vector<float> gpu(n);
    expect_ok(dlm_cuda_leave_one_out(a.data(), nullptr, gpu.data(), batch, steps, m.text, sizeof m.text), m,
              tag + "leave-one-out, one group");
    compare(gpu, cpu, tag + "leave-one-out, one group");
  }
  for (const auto& [name, groups] : layouts) {
    const std::vector<float> cpu = cpu_leave_one_out(a, groups.data(), batch, steps);
    std::vector<float> gpu = a;
    expect_ok(dlm_cuda_leave_one_out(gpu.data(), groups.data(), gpu.data(), batch, steps, m.text, sizeof m.text), m,
              tag + "leave-one-out in place, " + name);
    compare(gpu, cpu, tag + "leave-one-out in place, " + name);
  }
}

// What needs no device: every bad argument is refused with a status and a
// message naming it, whatever the machine has.
void check_arguments() {
  expect(dlm_cuda_abi_version() == DLM_CUDA_ABI_VERSION, "ABI version");
  Message m;
  float x[4] = {0, 0, 0, 0};
  auto refused = [&](int status, const char* name) {
    expect(status == DLM_CUDA_ERR_INVALID_ARGUMENT && std::strstr(m.text, name) != nullptr,
           std::string("refuses bad ") + name + " (status " + std::to_string(status) + ": " + m.text + ")");
    m.text[0] = '\0';
  };
  refused(dlm_cuda_discounted_returns(nullptr, x, 1, 1, 0.9f, m.text, sizeof m.text), "rewards");
  refused(dlm_cuda_discounted_returns(x, x, 0, 1, 0.9f, m.text, sizeof m.text), "batch");
  refused(dlm_cuda_discounted_returns(x, x, 1, 0, 0.9f, m.text, sizeof m.text), "steps");
  refused(dlm_cuda_discounted_returns(x, x, 1, 1, 1.5f, m.text, sizeof m.text), "gamma");
  refused(dlm_cuda_discounted_returns(x, x, 1, 1, NAN, m.text, sizeof m.text), "gamma");
  refused(dlm_cuda_discounted_returns(x, x, int64_t{1} << 40, int64_t{1} << 40, 0.9f, m.text, sizeof m.text), "batch");
  refused(dlm_cuda_gae(x, nullptr, x, 1, 1, 0.9f, 0.9f, m.text, sizeof m.text), "values");
  refused(dlm_cuda_gae(x, x, x, 1, 1, 0.9f, -0.1f, m.text, sizeof m.text), "lambda");
  refused(dlm_cuda_advantage_alignment(x, x, x, 1, 1, INFINITY, 0.9f, 0, 0, m.text, sizeof m.text), "beta");
  refused(dlm_cuda_advantage_alignment(x, x, x, 1, 1, 1.0f, 0.9f, 0, 7, m.text, sizeof m.text), "form");
  refused(dlm_cuda_advantage_alignment(x, nullptr, x, 1, 1, 1.0f, 0.9f, 0, 0, m.text, sizeof m.text), "others");
  refused(dlm_cuda_leave_one_out(nullptr, nullptr, x, 1, 1, m.text, sizeof m.text), "values");
  refused(dlm_cuda_advantage_alignment_device(x, x, nullptr, 1, 1, 1.0f, 0.9f, 0, 0, nullptr, m.text, sizeof m.text),
          "out");
  refused(dlm_cuda_device_info(0, nullptr, m.text, sizeof m.text), "out");
  // No message buffer, or a tiny one: still a status, never a write past it.
  expect(dlm_cuda_discounted_returns(nullptr, x, 1, 1, 0.9f, nullptr, 0) == DLM_CUDA_ERR_INVALID_ARGUMENT,
         "refuses without a message buffer");
  char tiny[6] = {'x', 'x', 'x', 'x', 'x', 'x'};
  dlm_cuda_discounted_returns(nullptr, x, 1, 1, 0.9f, tiny, 5);
  expect(std::strlen(tiny) == 4 && tiny[5] == 'x', "truncates the message to its buffer");

  int driver = -1, runtime = -1;
  expect_ok(dlm_cuda_versions(&driver, &runtime, m.text, sizeof m.text), m, "versions");
  std::printf("CUDA runtime %d, driver %d (0: none)\n", runtime, driver);
}

}  // namespace

int main() {
  check_arguments();

  const int count = parity::devices({"GPU parity of the credit kernels"});
  if (count == 0) return parity::finish_without_device();

  Message m;
  dlm_cuda_device_props info;
  expect_ok(dlm_cuda_device_info(0, &info, m.text, sizeof m.text), m, "device info");
  std::printf("device 0: %s, compute capability %d.%d, %d SMs, peak bandwidth %.0f GB/s\n", info.name,
              info.compute_major, info.compute_minor, info.multiprocessors, info.peak_bandwidth_gbps);
  Message bad;
  expect(dlm_cuda_device_info(count, &info, bad.text, sizeof bad.text) == DLM_CUDA_ERR_INVALID_ARGUMENT,
         "refuses a device index past the last device");

  std::mt19937 rng(20250521);
  // Edge shapes: one step, one rollout, exact multiples of the 64-row by
  // 32-step tile, one past them, neither, long horizons.
  const Shape shapes[] = {{1, 1, 0.99f},    {1, 37, 0.99f},   {37, 1, 0.99f},    {64, 32, 0.99f},
                          {65, 33, 0.99f},  {130, 100, 0.99f}, {1000, 257, 0.99f}, {4099, 300, 0.97f},
                          {3, 5000, 0.9f},  {129, 5000, 0.9f}};
  for (const Shape& s : shapes) check_shape(s, rng);
  return parity::finish();
}
