// The fused tabular training iteration on a 2x2 matrix game, its lane path
// (eight environments per AVX2 register) against its scalar path, in one
// process and one thread: both train the same configuration from the same
// seed, in interleaved rounds, and the program prints µs per iteration
// (median and fastest round) and their ratio as JSON. The two paths give the
// same bits (native/tests/test_trainer_fused.cpp); this shows what the lanes
// are worth on a game variant the TypeScript benchmark does not cover.
//
//   fused_lane_profile BATCH [--noise P] [--continuation C]
//                      [--rounds R] [--iterations N] [--seed S]
//
// The game is the IPD (10 rounds) with the noise and continuation given;
// --rounds is the number of timed rounds (each N iterations of each path),
// as in ort_step_profile.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "error.hpp"
#include "game.hpp"
#include "learn/model.hpp"
#include "learn/trainer.hpp"
#include "learn/trainer_fused_lanes.hpp"
#include "tool_args.hpp"

using namespace dilemma;

namespace {

struct Args {
  int64_t batch = 0, rounds = 9, iterations = 200, seed = 7;
  double noise = 0.0, continuation = 1.0;
};

double unit_interval(const std::string& name, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= 0.0 && v <= 1.0))
    throw Error(codes::kInvalidArgument, name + " must be a number in [0, 1], got '" + text + "'");
  return v;
}

Args parse(int argc, char** argv) {
  Args a;
  std::vector<std::string> rest;
  bench_tools::ArgCursor args(argc, argv);
  while (args.next()) {
    const std::string s = args.current();
    if (s == "--noise")
      a.noise = unit_interval(s, args.value());
    else if (s == "--continuation")
      a.continuation = unit_interval(s, args.value());
    else if (s == "--rounds")
      a.rounds = bench_tools::positive(s, args.value(), 1000);
    else if (s == "--iterations")
      a.iterations = bench_tools::positive(s, args.value(), int64_t{1} << 30);
    else if (s == "--seed")
      a.seed = bench_tools::positive(s, args.value(), int64_t{1} << 62);
    else if (args.is_flag())
      throw Error(codes::kInvalidArgument, "unknown option " + s);
    else
      rest.push_back(s);
  }
  if (rest.size() != 1) throw Error(codes::kInvalidArgument, "usage: fused_lane_profile BATCH [options]");
  a.batch = bench_tools::positive("BATCH", rest[0], int64_t{1} << 24);
  return a;
}

learn::TrainerConfig config(const Args& a) {
  learn::TrainerConfig c;
  c.game = make_game("ipd", Params("game", {{"noise", a.noise}, {"continuation", a.continuation}}));
  c.model = learn::make_model("tabular", c.game->info().obs_dim, 2, Params("policy", {{"blocks", 1.0}}));
  c.batch = a.batch;
  c.seed = static_cast<uint64_t>(a.seed);
  c.gamma = 0.9f;
  c.beta = 0.5f;
  c.adam.lr = 0.05f;
  c.threads = 1;
  return c;
}

int main_checked(int argc, char** argv) {
  const Args a = parse(argc, argv);
  if (!learn::fused_lanes::available()) throw Error(codes::kBackendUnavailable, "this CPU has no AVX2: no lane path");
  learn::Trainer lanes(config(a)), scalar(config(a));
  if (!lanes.fused_applies()) throw Error(codes::kInvalidArgument, "the configuration does not take the fused path");
  // µs per iteration of `iterations` iterations of one trainer, on one path.
  auto time = [&](learn::Trainer& t, bool on) {
    learn::fused_lanes::set_enabled(on);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < a.iterations; ++i) t.iterate();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
           static_cast<double>(a.iterations);
  };
  time(lanes, true), time(scalar, false);  // caches, workspaces
  const int64_t before = learn::fused_lanes::iterations_taken();
  std::vector<double> l, s, r;
  for (int64_t k = 0; k < a.rounds; ++k) {
    l.push_back(time(lanes, true));
    s.push_back(time(scalar, false));
    r.push_back(s.back() / l.back());
  }
  learn::fused_lanes::set_enabled(true);
  if (learn::fused_lanes::iterations_taken() - before != a.rounds * a.iterations)
    throw Error(codes::kInvalidArgument, "the lane path did not take every lane iteration");
  std::printf(
      "{\"batch\":%lld,\"noise\":%g,\"continuation\":%g,\"rounds\":%lld,\"iterations\":%lld,"
      "\"lanesUs\":{\"median\":%.2f,\"min\":%.2f},\"scalarUs\":{\"median\":%.2f,\"min\":%.2f},"
      "\"scalarOverLanes\":{\"median\":%.3f,\"min\":%.3f,\"max\":%.3f}}\n",
      static_cast<long long>(a.batch), a.noise, a.continuation, static_cast<long long>(a.rounds),
      static_cast<long long>(a.iterations), bench_tools::median(l), *std::min_element(l.begin(), l.end()), bench_tools::median(s),
      *std::min_element(s.begin(), s.end()), bench_tools::median(r), *std::min_element(r.begin(), r.end()),
      *std::max_element(r.begin(), r.end()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return dilemma::bench_tools::run_tool(main_checked, argc, argv); }
