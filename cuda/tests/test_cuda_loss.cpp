// Parity of the policy-loss kernels (dlm_cuda_policy_loss and its device
// entry) with dilemma::learn::policy_loss, the CPU function: gradients and
// every part of the result under the one tolerance rule, live-row counts
// exactly, over both objectives, references, masks, normalisations and edge
// shapes (one row, one action, row counts around the 128-row block, action
// counts on both sides of the shared-memory staging limit). Also: a call
// gives the same bits every time (the fixed-order reduction).
//
// Without a usable GPU it checks the argument errors, prints
// "no CUDA device: <reason>" and exits 0 (parity.hpp).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "device_buffer.hpp"
#include "dilemma_cuda.h"
#include "learn/loss.hpp"
#include "parity.hpp"

namespace {

using parity::compare;
using parity::expect;
using parity::expect_ok;
using parity::Message;
using parity::within;

struct Case {
  int64_t N;
  int A;
};

struct Inputs {
  int64_t N;
  int A;
  std::vector<float> logits, credits, behavior, ref_logits, ref_logp;
  std::vector<int32_t> actions;
  std::vector<uint8_t> mask;
};

Inputs random_inputs(std::mt19937& rng, int64_t N, int A) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> action(0, A - 1);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  Inputs in{N, A, {}, {}, {}, {}, {}, {}, {}};
  const size_t n = static_cast<size_t>(N), e = n * static_cast<size_t>(A);
  in.logits.resize(e);
  in.ref_logits.resize(e);
  for (size_t i = 0; i < e; ++i) {
    in.logits[i] = 2.0f * normal(rng);
    in.ref_logits[i] = in.logits[i] + 0.3f * normal(rng);
  }
  in.actions.resize(n);
  in.credits.resize(n);
  in.behavior.resize(n);
  in.ref_logp.resize(n);
  in.mask.resize(n);
  for (size_t i = 0; i < n; ++i) {
    in.actions[i] = unit(rng) < 0.05f ? -1 : action(rng);
    in.credits[i] = normal(rng);
    // Near the policy (ratios around 1, some capped or clipped) and far from it.
    in.behavior[i] = -std::log(static_cast<float>(A)) + (unit(rng) < 0.8f ? 0.3f : 3.0f) * normal(rng);
    in.ref_logp[i] = -std::log(static_cast<float>(A)) + 0.5f * normal(rng);
    in.mask[i] = unit(rng) < 0.9f ? 1 : 0;
  }
  return in;
}

struct Variant {
  const char* name;
  dilemma::learn::LossTerms terms;
  bool mask, behavior, ref_logits, ref_logp, in_place;
};

std::vector<Variant> variants() {
  using dilemma::learn::LossNormalize;
  using dilemma::learn::LossObjective;
  std::vector<Variant> v;
  dilemma::learn::LossTerms t;
  v.push_back({"REINFORCE", t, false, false, false, false, false});
  t.ratio_cap = 1.5f;
  t.entropy_coef = 0.01f;
  v.push_back({"REINFORCE, mask, capped ratio, entropy", t, true, true, false, false, false});
  t.kl_coef = 0.1f;
  t.normalize = LossNormalize::kRows;
  v.push_back({"REINFORCE, KL to ref_logits, normalize rows, in place", t, true, true, true, false, true});
  t = dilemma::learn::LossTerms{};
  t.objective = LossObjective::kPpo;
  t.clip = 0.2f;
  t.entropy_coef = -0.02f;
  t.kl_coef = 0.05f;
  v.push_back({"PPO, mask, KL to ref_logp", t, true, true, false, true, false});
  t.normalize = LossNormalize::kConstant;
  t.normalizer = 1000.0;
  t.kl_coef = 0.0f;
  v.push_back({"PPO, normalize constant, KL reported only", t, false, true, true, false, false});
  return v;
}

dlm_cuda_loss_terms abi_terms(const dilemma::learn::LossTerms& t) {
  return dlm_cuda_loss_terms{static_cast<int32_t>(t.objective), t.ratio_cap, t.clip, t.entropy_coef, t.kl_coef,
                             static_cast<int32_t>(t.normalize), t.normalizer};
}

void compare_result(const dlm_cuda_loss_result& g, const dilemma::learn::LossResult& c, const std::string& what) {
  const bool ok = within(g.loss, c.loss) && within(g.policy, c.policy) && within(g.entropy, c.entropy) &&
                  within(g.kl, c.kl) && within(g.clipped_fraction, c.clipped_fraction) &&
                  within(g.normalizer, c.normalizer) && g.live_rows == c.live_rows && g.invalid_rows == 0;
  char detail[512];
  std::snprintf(detail, sizeof detail,
                " (gpu loss %.9g policy %.9g entropy %.9g kl %.9g clipped %.6g live %lld; cpu %.9g %.9g %.9g %.9g "
                "%.6g %lld)",
                g.loss, g.policy, g.entropy, g.kl, g.clipped_fraction, static_cast<long long>(g.live_rows), c.loss,
                c.policy, c.entropy, c.kl, c.clipped_fraction, static_cast<long long>(c.live_rows));
  expect(ok, what + detail);
}

template <typename T>
const T* maybe(bool on, const std::vector<T>& v) {
  return on ? v.data() : nullptr;
}

void check_case(const Case& k, std::mt19937& rng) {
  const Inputs in = random_inputs(rng, k.N, k.A);
  const std::string tag = "[" + std::to_string(k.N) + " x " + std::to_string(k.A) + "] ";
  for (const Variant& v : variants()) {
    const std::string what = tag + v.name;
    std::vector<float> cpu(in.logits.size());
    const dilemma::learn::LossResult c = dilemma::learn::policy_loss(
        in.logits.data(), in.N, in.A, in.actions.data(), in.credits.data(), maybe(v.mask, in.mask),
        maybe(v.behavior, in.behavior), maybe(v.ref_logits, in.ref_logits), maybe(v.ref_logp, in.ref_logp), v.terms,
        cpu.data());
    std::vector<float> gpu = v.in_place ? in.logits : std::vector<float>(in.logits.size(), NAN);
    const dlm_cuda_loss_terms terms = abi_terms(v.terms);
    dlm_cuda_loss_result g{};
    Message m;
    const int status = dlm_cuda_policy_loss(
        v.in_place ? gpu.data() : in.logits.data(), in.N, in.A, in.actions.data(), in.credits.data(),
        maybe(v.mask, in.mask), maybe(v.behavior, in.behavior), maybe(v.ref_logits, in.ref_logits),
        maybe(v.ref_logp, in.ref_logp), &terms, gpu.data(), &g, m.text, sizeof m.text);
    if (!expect_ok(status, m, what)) continue;
    compare(gpu, cpu, what + ": dlogits");
    compare_result(g, c, what + ": result");
  }
}

// The device entry on the same inputs as the host entry, twice: identical
// bits every time; rows the host entry would refuse are skipped and counted.
void check_device_entry(std::mt19937& rng) {
  using parity::DeviceBuffer;
  const Inputs in = random_inputs(rng, 5000, 6);
  const Variant v = variants()[3];
  const dlm_cuda_loss_terms terms = abi_terms(v.terms);
  DeviceBuffer<float> logits(in.logits), credits(in.credits), behavior(in.behavior), ref_logp(in.ref_logp),
      dz(in.logits.size());
  DeviceBuffer<int32_t> actions(in.actions);
  DeviceBuffer<uint8_t> mask(in.mask);
  DeviceBuffer<dlm_cuda_loss_result> result(1);
  if (!logits.ok() || !credits.ok() || !behavior.ok() || !ref_logp.ok() || !dz.ok() || !actions.ok() ||
      !mask.ok() || !result.ok()) {
    expect(false, "device entry: cudaMalloc failed");
    return;
  }
  auto run = [&](const std::string& what) {
    Message m;
    return expect_ok(dlm_cuda_policy_loss_device(logits.get(), in.N, in.A, actions.get(), credits.get(), mask.get(),
                                                 behavior.get(), nullptr, ref_logp.get(), &terms, dz.get(),
                                                 result.get(), nullptr, m.text, sizeof m.text),
                     m, what);
  };
  std::vector<float> host_dz(in.logits.size());
  dlm_cuda_loss_result host{};
  Message m;
  if (!expect_ok(dlm_cuda_policy_loss(in.logits.data(), in.N, in.A, in.actions.data(), in.credits.data(),
                                      in.mask.data(), in.behavior.data(), nullptr, in.ref_logp.data(), &terms,
                                      host_dz.data(), &host, m.text, sizeof m.text),
                 m, "device entry: host reference"))
    return;
  std::vector<float> dz_runs[2];
  dlm_cuda_loss_result result_runs[2];
  for (int k = 0; k < 2; ++k) {
    if (!run("device entry")) return;
    dz_runs[k] = dz.host();
    result_runs[k] = result.host()[0];
  }
  parity::compare_exact(dz_runs[0], host_dz, "device entry: dlogits equal the host entry's");
  parity::compare_exact(dz_runs[1], dz_runs[0], "device entry: a second call gives the same dlogits");
  expect(std::memcmp(&result_runs[0], &host, sizeof host) == 0 && std::memcmp(&result_runs[1], &host, sizeof host) == 0,
         "device entry: the result has the same bits on every call and through either entry");

  // A mask value of 2 and an action past A: refused by the host entry,
  // skipped and counted by the device entry.
  std::vector<uint8_t> bad_mask = in.mask;
  std::vector<int32_t> bad_actions = in.actions;
  bad_mask[10] = 2;
  bad_actions[20] = in.A;
  bad_mask[20] = 1;
  mask.upload(bad_mask);
  actions.upload(bad_actions);
  if (!run("device entry with invalid rows")) return;
  const dlm_cuda_loss_result counted = result.host()[0];
  const std::vector<float> out = dz.host();
  bool zero = true;
  for (int64_t row : {10, 20})
    for (int k = 0; k < in.A; ++k) zero = zero && out[static_cast<size_t>(row * in.A + k)] == 0.0f;
  expect(counted.invalid_rows == 2 && zero, "device entry: invalid rows get a zero gradient and are counted (" +
                                                std::to_string(counted.invalid_rows) + ")");
}

// What needs no device: every bad argument is refused with a status and a
// message naming it, and nothing is written.
void check_arguments() {
  Message m;
  float z[4] = {0.5f, -0.5f, 1.0f, 0.0f}, dz[4] = {7, 7, 7, 7}, credits[2] = {1.0f, -1.0f}, lp[2] = {-0.7f, -0.7f};
  int32_t actions[2] = {0, 1};
  uint8_t mask[2] = {1, 1};
  dlm_cuda_loss_result result{};
  dlm_cuda_loss_terms terms{DLM_CUDA_LOSS_REINFORCE, 2.0f, 0.2f, 0.0f, 0.0f, DLM_CUDA_NORMALIZE_MASK, 1.0};
  auto refused = [&](int status, const char* name) {
    expect(status == DLM_CUDA_ERR_INVALID_ARGUMENT && std::strstr(m.text, name) != nullptr,
           std::string("policy loss refuses bad ") + name + " (status " + std::to_string(status) + ": " + m.text +
               ")");
    m.text[0] = '\0';
  };
  auto call = [&](const float* logits, int64_t N, int32_t A, const int32_t* a, const float* c, const uint8_t* mk,
                  const float* behavior, const float* ref_z, const float* ref_lp, const dlm_cuda_loss_terms* t) {
    return dlm_cuda_policy_loss(logits, N, A, a, c, mk, behavior, ref_z, ref_lp, t, dz, &result, m.text,
                                sizeof m.text);
  };
  refused(call(nullptr, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, &terms), "logits");
  refused(call(z, 0, 2, actions, credits, mask, nullptr, nullptr, nullptr, &terms), "N");
  refused(call(z, 2, 0, actions, credits, mask, nullptr, nullptr, nullptr, &terms), "A");
  refused(call(z, 2, 2, nullptr, credits, mask, nullptr, nullptr, nullptr, &terms), "actions");
  refused(call(z, 2, 2, actions, nullptr, mask, nullptr, nullptr, nullptr, &terms), "credits");
  refused(call(z, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, nullptr), "terms");
  dlm_cuda_loss_terms bad = terms;
  bad.ratio_cap = 0.0f;
  refused(call(z, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, &bad), "ratio_cap");
  bad = terms;
  bad.clip = 1.0f;
  refused(call(z, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, &bad), "clip");
  bad = terms;
  bad.objective = DLM_CUDA_LOSS_PPO;
  refused(call(z, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, &bad), "behavior_logp");
  bad = terms;
  bad.kl_coef = 0.1f;
  refused(call(z, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, &bad), "kl_coef");
  refused(call(z, 2, 2, actions, credits, mask, nullptr, z, lp, &terms), "ref_logits");
  bad = terms;
  bad.normalize = DLM_CUDA_NORMALIZE_CONSTANT;
  bad.normalizer = 0.0;
  refused(call(z, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, &bad), "normalizer");
  bad.normalize = 9;
  refused(call(z, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, &bad), "normalize");
  // Values, checked by the host entry as the CPU checks them.
  uint8_t bad_mask[2] = {1, 3};
  refused(call(z, 2, 2, actions, credits, bad_mask, nullptr, nullptr, nullptr, &terms), "mask[1]");
  int32_t bad_actions[2] = {0, 2};
  refused(call(z, 2, 2, bad_actions, credits, mask, nullptr, nullptr, nullptr, &terms), "actions[1]");
  float bad_z[4] = {0.0f, INFINITY, 0.0f, 0.0f};
  refused(call(bad_z, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, &terms), "logits row 0");
  float bad_credits[2] = {1.0f, NAN};
  refused(call(z, 2, 2, actions, bad_credits, mask, nullptr, nullptr, nullptr, &terms), "credits[1]");
  expect(dz[0] == 7 && dz[1] == 7 && dz[2] == 7 && dz[3] == 7, "a refused call writes nothing");
  // A masked or padded row is not checked, as on the CPU: this needs a
  // device to run, so only the refusal above is certain everywhere.
  refused(dlm_cuda_policy_loss_device(z, 2, 2, actions, credits, mask, nullptr, nullptr, nullptr, &terms, dz, nullptr,
                                      nullptr, m.text, sizeof m.text),
          "result");
}

}  // namespace

int main() {
  check_arguments();
  if (parity::devices({"GPU parity of the policy-loss kernels", "GPU policy loss: device entry and determinism"}) ==
      0)
    return parity::finish_without_device();

  std::mt19937 rng(20250611);
  // Edge shapes: one row, one action, one block of 128 rows and one past it,
  // staged rows (A up to 91 without reference logits, 45 with them) and
  // unstaged ones, on both sides of each limit.
  const Case cases[] = {{1, 1},   {1, 2},    {3, 5},     {127, 2},  {128, 2},  {129, 3}, {1000, 7},
                        {4099, 2}, {300, 45}, {300, 46}, {257, 91}, {257, 92}, {130, 300}, {5, 1000}};
  for (const Case& k : cases) check_case(k, rng);
  check_device_entry(rng);
  return parity::finish();
}
