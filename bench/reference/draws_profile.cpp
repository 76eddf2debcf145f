// The block draws (rng::uniform_planes) on each instruction set this CPU
// has, the scalar loop among them as the baseline, in interleaved rounds in
// one process: ns per counter (one Philox call) as JSON, median and fastest
// round, and each set's speed-up over the scalar loop per round.
//
//   draws_profile [--envs N] [--words W] [--calls C] [--rounds R]
//
// Each call draws W words (1-4) for N environments at one step, as the
// sampler does for a chunk of environments.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "draws.hpp"
#include "error.hpp"
#include "tool_args.hpp"

using namespace dilemma;

namespace {

struct Args {
  int64_t envs = 256, words = 2, calls = 20000, rounds = 9;
};

Args parse(int argc, char** argv) {
  Args a;
  bench_tools::ArgCursor args(argc, argv);
  while (args.next()) {
    const std::string s = args.current();
    if (s == "--envs")
      a.envs = bench_tools::positive(s, args.value(), int64_t{1} << 20);
    else if (s == "--words")
      a.words = bench_tools::positive(s, args.value(), 4);
    else if (s == "--calls")
      a.calls = bench_tools::positive(s, args.value(), int64_t{1} << 30);
    else if (s == "--rounds")
      a.rounds = bench_tools::positive(s, args.value(), 1000);
    else
      throw Error(codes::kInvalidArgument, "unknown argument " + s);
  }
  return a;
}

int main_checked(int argc, char** argv) {
  const Args a = parse(argc, argv);
  std::vector<rng::Simd> sets;
  for (rng::Simd cap : {rng::Simd::kScalar, rng::Simd::kAvx2, rng::Simd::kAvx512}) {
    rng::cap_draw_simd(cap);
    if (rng::draw_simd() == cap) sets.push_back(cap);
  }
  std::vector<float> out(static_cast<size_t>(a.envs * a.words));
  float sink = 0.0f;
  // ns per counter of `calls` calls on one set; each call a new step, as a rollout draws.
  auto time = [&](rng::Simd cap) {
    rng::cap_draw_simd(cap);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t k = 0; k < a.calls; ++k) {
      rng::uniform_planes(7, 0, a.envs, 0, static_cast<uint32_t>(k), rng::kSample, 0, static_cast<int>(a.words),
                          out.data());
      sink += out[static_cast<size_t>(k % a.envs)];
    }
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
           static_cast<double>(a.calls * a.envs);
  };
  for (rng::Simd cap : sets) time(cap);  // caches
  std::vector<std::vector<double>> ns(sets.size()), speedup(sets.size());
  for (int64_t r = 0; r < a.rounds; ++r) {
    std::vector<double> round;
    for (rng::Simd cap : sets) round.push_back(time(cap));
    for (size_t i = 0; i < sets.size(); ++i) {
      ns[i].push_back(round[i]);
      speedup[i].push_back(round[0] / round[i]);
    }
  }
  rng::cap_draw_simd(rng::Simd::kAvx512);
  const char* names[] = {"scalar", "avx2", "avx512"};
  std::printf("{\"envs\":%lld,\"words\":%lld,\"calls\":%lld,\"rounds\":%lld,\"checksum\":%g,\"sets\":{",
              static_cast<long long>(a.envs), static_cast<long long>(a.words), static_cast<long long>(a.calls),
              static_cast<long long>(a.rounds), static_cast<double>(sink));
  for (size_t i = 0; i < sets.size(); ++i) {
    double fastest = ns[i][0];
    for (double v : ns[i]) fastest = v < fastest ? v : fastest;
    std::printf("%s\"%s\":{\"nsPerCounter\":{\"median\":%.3f,\"min\":%.3f},\"overScalar\":%.2f}", i ? "," : "",
                names[static_cast<int>(sets[i])], bench_tools::median(ns[i]), fastest,
                bench_tools::median(speedup[i]));
  }
  std::printf("}}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return bench_tools::run_tool(main_checked, argc, argv); }
