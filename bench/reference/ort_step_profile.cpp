// The engine's ONNX rollout step against ONNX Runtime's bare Run, in one
// process and one thread, for profiling the difference: the same session
// settings (both through the core's Session), the same model and rows, and
// the bare Run fed what the engine feeds it (the hidden state it returned,
// observations of the game), so that only the engine's own work differs.
//
//   ort_step_profile MODEL BATCH [--rounds R] [--calls N] [--only engine|bare]
//                    [--threads K] [--library PATH]
//
// Without --only: R interleaved rounds, each one engine rollout (IPD 100
// rounds, the policy in both seats, BATCH environments, 2 × BATCH model rows
// per step) and 100 bare Runs at 2 × BATCH rows; prints µs per step (median
// and fastest round) and their ratio as JSON. With --only: N calls of that
// one kind and nothing else (for callgrind or perf); --only sample times
// the engine's sampler alone on one step's logits (ns per row). --hash prints an FNV-1a
// hash of the trajectories of N rollouts (seeds 1..N, K threads), so a change
// to the engine's step can be checked to keep every bit.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "error.hpp"
#include "tool_args.hpp"
#include "onnx/onnx.hpp"
#include "params.hpp"
#include "env.hpp"
#include "rollout.hpp"
#include "seat_sampling.hpp"

using namespace dilemma;

namespace {

using bench_tools::positive;
constexpr int64_t kMaxCount = int64_t{1} << 30;

constexpr int kRounds = 100;

struct Args {
  std::string model, library, only;
  int64_t batch = 0, rounds = 15, calls = 20, threads = 1;
  bool hash = false;
};

Args parse(int argc, char** argv) {
  Args a;
  a.library = bench_tools::default_library();
  std::vector<std::string> rest;
  bench_tools::ArgCursor args(argc, argv);
  while (args.next()) {
    const std::string s = args.current();
    auto value = [&] { return args.value(); };
    if (s == "--rounds")
      a.rounds = positive(s, value(), kMaxCount);
    else if (s == "--calls")
      a.calls = positive(s, value(), kMaxCount);
    else if (s == "--threads")
      a.threads = positive(s, value(), kMaxCount);
    else if (s == "--only")
      a.only = value();
    else if (s == "--library")
      a.library = value();
    else if (s == "--hash")
      a.hash = true;
    else if (args.is_flag())
      throw Error(codes::kInvalidArgument, "unknown option " + s);
    else
      rest.push_back(s);
  }
  if (rest.size() != 2) throw Error(codes::kInvalidArgument, "usage: ort_step_profile MODEL BATCH [options]");
  if (!a.only.empty() && a.only != "engine" && a.only != "bare" && a.only != "sample")
    throw Error(codes::kInvalidArgument, "--only must be engine, bare or sample");
  a.model = rest[0];
  a.batch = positive("BATCH", rest[1], kMaxCount);
  return a;
}

struct Traj {
  std::vector<float> obs, logp, entropy, rewards;
  std::vector<int32_t> actions;
  std::vector<uint8_t> dones, mask;
  TrajectoryView view() {
    return {obs.data(), actions.data(), logp.data(), entropy.data(), rewards.data(), dones.data(), mask.data()};
  }
};

uint64_t fnv(uint64_t h, const void* p, size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

double now_ns() {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main_checked(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const onnx::RuntimeStatus status = onnx::load_runtime(a.library);
  if (!status.available) throw Error(codes::kBackendUnavailable, "ONNX Runtime is unavailable: " + status.reason);
  auto session = onnx::open_session(a.model, onnx::SessionOptions{});
  auto policy = onnx::make_policy(session, {}, "onnx");
  auto game = make_game("ipd", Params("params", {{"rounds", ParamValue(static_cast<double>(kRounds))}}));
  RolloutOptions o;
  o.batch = a.batch;
  o.threads = static_cast<int>(a.threads);
  const auto sizes = trajectory_sizes(*game, o);
  Traj t{std::vector<float>(sizes.obs), std::vector<float>(sizes.per_agent), std::vector<float>(sizes.per_agent),
         std::vector<float>(sizes.per_agent), std::vector<int32_t>(sizes.per_agent),
         std::vector<uint8_t>(sizes.per_step), std::vector<uint8_t>(sizes.per_step)};

  if (a.hash) {
    uint64_t h = 1469598103934665603ull;
    for (int64_t s = 1; s <= a.calls; ++s) {
      o.seed = static_cast<uint64_t>(s);
      rollout(game, {policy, policy}, o, t.view());
      h = fnv(h, t.obs.data(), t.obs.size() * 4);
      h = fnv(h, t.actions.data(), t.actions.size() * 4);
      h = fnv(h, t.logp.data(), t.logp.size() * 4);
      h = fnv(h, t.entropy.data(), t.entropy.size() * 4);
      h = fnv(h, t.rewards.data(), t.rewards.size() * 4);
      h = fnv(h, t.dones.data(), t.dones.size());
      h = fnv(h, t.mask.data(), t.mask.size());
    }
    std::printf("{\"batch\":%lld,\"threads\":%lld,\"rollouts\":%lld,\"hash\":\"%016llx\"}\n",
                static_cast<long long>(a.batch), static_cast<long long>(a.threads), static_cast<long long>(a.calls),
                static_cast<unsigned long long>(h));
    return 0;
  }

  // The bare Run's inputs: the hidden state and observations of a real
  // rollout's step 50, so that it computes on the values the engine does.
  const int64_t rows = 2 * a.batch;
  std::vector<onnx::BoundRun::Tensor> ins, outs;
  for (const auto& ti : onnx::session_inputs(*session)) ins.push_back({ti.name, ti.shape.back()});
  for (const auto& ti : onnx::session_outputs(*session)) outs.push_back({ti.name, ti.shape.back()});
  onnx::BoundRun bare(session, ins, outs, rows);
  o.seed = 1;
  rollout(game, {policy, policy}, o, t.view());
  for (size_t k = 0; k < ins.size(); ++k) {
    float* x = bare.input(k);
    for (int64_t i = 0; i < rows * ins[k].width; ++i) x[i] = 0.5f * std::sin(0.1f * static_cast<float>(i));
  }
  // Observations as the engine writes them: seat-major rows of one step.
  const int64_t D = ins[0].width;
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(bare.input(0) + r * D, t.obs.data() + (r % a.batch) * kRounds * 2 * D + (50 * 2 + r / a.batch) * D,
                sizeof(float) * D);

  auto engine_call = [&](uint64_t seed) {
    o.seed = seed;
    const double t0 = now_ns();
    rollout(game, {policy, policy}, o, t.view());
    return (now_ns() - t0) / kRounds;
  };
  auto bare_call = [&]() {
    const double t0 = now_ns();
    for (int k = 0; k < kRounds; ++k) bare.run();
    return (now_ns() - t0) / kRounds;
  };
  for (int k = 0; k < 3; ++k) engine_call(k + 2), bare_call();  // arenas, caches
  if (a.only == "engine") {
    for (int64_t k = 0; k < a.calls; ++k) engine_call(static_cast<uint64_t>(k) + 10);
    return 0;
  }
  if (a.only == "sample") {
    // The sampler alone, on the logits of the bare Run's step: --calls × 100 blocks, ns per row.
    auto envs = std::make_shared<EnvBatch>(game, a.batch, 1);
    envs->restart(a.batch, nullptr, 0);
    std::vector<int32_t> acts(a.batch * 2);
    std::vector<float> lp(a.batch * 2), ent(a.batch * 2);
    ActContext seats[2];
    for (int s = 0; s < 2; ++s) {
      seats[s] = ActContext{};
      seats[s].envs = envs.get();
      seats[s].agent = s;
      seats[s].seed = 1;
      seats[s].actions = acts.data();
      seats[s].logp = lp.data();
      seats[s].entropy = ent.data();
      seats[s].out_stride = 2;
    }
    std::vector<double> per_row;
    for (int64_t c = 0; c < a.calls; ++c) {
      const double t0 = now_ns();
      for (int k = 0; k < kRounds; ++k) {
        seats[0].step = seats[1].step = k;
        sample_seats(seats, 2, 0, a.batch, bare.output(0), 2, "policy");
      }
      per_row.push_back((now_ns() - t0) / (kRounds * rows));
    }
    std::sort(per_row.begin(), per_row.end());
    std::printf("{\"sampleNsPerRow\":{\"median\":%.2f,\"min\":%.2f}}\n", per_row[per_row.size() / 2], per_row.front());
    return 0;
  }
  if (a.only == "bare") {
    for (int64_t k = 0; k < a.calls; ++k) bare_call();
    return 0;
  }
  std::vector<double> e, b, r;
  for (int64_t k = 0; k < a.rounds; ++k) {
    e.push_back(engine_call(static_cast<uint64_t>(k) + 10));
    b.push_back(bare_call());
    r.push_back(e.back() / b.back());
  }
  using bench_tools::median;
  std::printf(
      "{\"batch\":%lld,\"rows\":%lld,\"rounds\":%lld,\"engineUsPerStep\":{\"median\":%.2f,\"min\":%.2f},"
      "\"bareUsPerRun\":{\"median\":%.2f,\"min\":%.2f},\"ratio\":{\"median\":%.3f,\"min\":%.3f,\"max\":%.3f}}\n",
      static_cast<long long>(a.batch), static_cast<long long>(rows), static_cast<long long>(a.rounds), median(e) / 1e3,
      *std::min_element(e.begin(), e.end()) / 1e3, median(b) / 1e3, *std::min_element(b.begin(), b.end()) / 1e3, median(r),
      *std::min_element(r.begin(), r.end()), *std::max_element(r.begin(), r.end()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return dilemma::bench_tools::run_tool(main_checked, argc, argv); }
