// ONNX Runtime's bare Run of a policy model, timed from C++: every input and
// output bound once at a fixed row count (the core's BoundRun, the same
// wrapper the engine's ONNX policy runs through), then Run and nothing else.
// It is the floor under the engine's time per step: what the engine spends
// above it is its own overhead (copies, sampling, the game step).
//
//   ort_bare_run MODEL ROWS [--runs N] [--repeat K] [--optimization 1..4] [--library PATH]
//       times K blocks of N runs and prints one JSON object.
//   ort_bare_run MODEL ROWS --serve [--library PATH]
//       prints {"ready":true,...}, then for every line "N" on stdin runs the
//       model N times and prints {"runs":N,"ns":elapsed}; ends at end of input.
//
// --optimization picks ONNX Runtime's graph optimisation level, 1 (none) to
// 4 (all, the engine's default).
// Every input must be float32 [batch, n] with n fixed; inputs hold fixed
// values in [-1, 1). The library defaults to DILEMMA_ORT_LIBRARY, else the
// one the build found in onnxruntime-node.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "error.hpp"
#include "tool_args.hpp"
#include "onnx/onnx.hpp"

using namespace dilemma;

namespace {

using bench_tools::positive;
using bench_tools::quoted;
constexpr int64_t kMaxCount = int64_t{1} << 40;

struct Args {
  std::string model, library;
  int64_t rows = 0, runs = 1000, repeat = 7;
  int optimization = 3;
  bool serve = false;
};

Args parse(int argc, char** argv) {
  Args a;
  a.library = bench_tools::default_library();
  std::vector<std::string> rest;
  bench_tools::ArgCursor args(argc, argv);
  while (args.next()) {
    const std::string s = args.current();
    auto value = [&] { return args.value(); };
    if (s == "--runs")
      a.runs = positive("--runs", value(), kMaxCount);
    else if (s == "--repeat")
      a.repeat = positive("--repeat", value(), kMaxCount);
    else if (s == "--optimization")
      a.optimization = static_cast<int>(std::min<int64_t>(3, positive("--optimization", value(), kMaxCount) - 1));
    else if (s == "--library")
      a.library = value();
    else if (s == "--serve")
      a.serve = true;
    else if (args.is_flag())
      throw Error(codes::kInvalidArgument, "unknown option " + s);
    else
      rest.push_back(s);
  }
  if (rest.size() != 2) throw Error(codes::kInvalidArgument, "usage: ort_bare_run MODEL ROWS [--runs N] [--repeat K] [--serve]");
  a.model = rest[0];
  a.rows = positive("ROWS", rest[1], kMaxCount);
  return a;
}

std::vector<onnx::BoundRun::Tensor> tensors(const std::vector<onnx::TensorInfo>& list, const char* role) {
  std::vector<onnx::BoundRun::Tensor> out;
  for (const auto& t : list) {
    if (t.type != "float32" || t.shape.size() != 2 || t.shape[1] <= 0)
      throw Error(codes::kModelShape, std::string("model ") + role + " '" + t.name + "' is not float32 [batch, n]");
    out.push_back({t.name, t.shape[1]});
  }
  return out;
}

double elapsed_ns(onnx::BoundRun& run, int64_t n) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t k = 0; k < n; ++k) run.run();
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
}

int main_checked(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const onnx::RuntimeStatus status = onnx::load_runtime(a.library);
  if (!status.available) throw Error(codes::kBackendUnavailable, "ONNX Runtime is unavailable: " + status.reason);
  // The engine's session settings: one intra-op thread, all graph optimisations (unless told otherwise).
  onnx::SessionOptions options;
  options.graph_optimization = a.optimization;
  auto session = onnx::open_session(a.model, options);
  const auto ins = tensors(onnx::session_inputs(*session), "input");
  const auto outs = tensors(onnx::session_outputs(*session), "output");
  onnx::BoundRun run(session, ins, outs, a.rows);
  uint32_t s = 12345;
  for (size_t k = 0; k < ins.size(); ++k) {
    float* x = run.input(k);
    for (int64_t i = 0; i < a.rows * ins[k].width; ++i) {
      s = s * 1664525u + 1013904223u;
      x[i] = static_cast<float>(s >> 8) / 8388608.0f - 1.0f;
    }
  }
  const std::string head = "\"model\":" + quoted(a.model) + ",\"rows\":" + std::to_string(a.rows) +
                           ",\"runtimeVersion\":" + quoted(status.version);
  elapsed_ns(run, 50);  // first runs allocate ORT's arena and warm the caches
  if (a.serve) {
    std::cout << "{\"ready\":true," << head << "}" << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
      const int64_t n = positive("runs", line, kMaxCount);
      const double ns = elapsed_ns(run, n);
      std::cout << "{\"runs\":" << n << ",\"ns\":" << static_cast<int64_t>(ns) << "}" << std::endl;
    }
    return 0;
  }
  std::vector<double> per_run;
  for (int64_t r = 0; r < a.repeat; ++r) per_run.push_back(elapsed_ns(run, a.runs) / static_cast<double>(a.runs));
  std::sort(per_run.begin(), per_run.end());
  double mean = 0;
  for (double v : per_run) mean += v / static_cast<double>(per_run.size());
  char stats[200];
  std::snprintf(stats, sizeof stats, "{\"min\":%.1f,\"median\":%.1f,\"mean\":%.1f}", per_run.front(),
                per_run[per_run.size() / 2], mean);
  std::cout << "{" << head << ",\"runs\":" << a.runs << ",\"repeat\":" << a.repeat << ",\"nsPerRun\":" << stats << "}"
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return dilemma::bench_tools::run_tool(main_checked, argc, argv); }
