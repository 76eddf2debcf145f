// The ONNX Runtime wrapper and ONNX policies, on models written by the
// package's writer (native/tests/data, checked against the writer by ava).
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <vector>

#include "../core/error.hpp"
#include "../core/onnx/onnx.hpp"
#include "../core/rollout.hpp"
#include "check.hpp"

using namespace dilemma;

namespace {

std::string data(const char* name) { return std::string(DILEMMA_TEST_DATA) + "/" + name; }

// Loads the runtime or skips the case with the reason.
void need_runtime() {
  if (!DILEMMA_WITH_ORT) SKIP("built without ONNX Runtime headers");
  const char* env = std::getenv("DILEMMA_ORT_LIBRARY");
  const std::string path = env ? env : DILEMMA_ORT_LIBRARY_DEFAULT;
  if (!std::ifstream(path).good()) SKIP("no ONNX Runtime library at " + path);
  const auto s = onnx::load_runtime(path);
  if (!s.available) throw dtest::Failure{"ONNX Runtime did not load: " + s.reason};
}

Params P(std::map<std::string, ParamValue> v = {}) { return Params("params", std::move(v)); }

struct Traj {
  std::vector<float> obs, logp, entropy, rewards;
  std::vector<int32_t> actions;
  std::vector<uint8_t> dones, mask;
};

Traj run(const std::shared_ptr<const Game>& g, std::vector<std::shared_ptr<const Policy>> ps, const RolloutOptions& o) {
  const auto n = trajectory_sizes(*g, o);
  Traj t{std::vector<float>(n.obs), std::vector<float>(n.per_agent), std::vector<float>(n.per_agent),
         std::vector<float>(n.per_agent), std::vector<int32_t>(n.per_agent), std::vector<uint8_t>(n.per_step),
         std::vector<uint8_t>(n.per_step)};
  rollout(g, ps, o, {t.obs.data(), t.actions.data(), t.logp.data(), t.entropy.data(), t.rewards.data(), t.dones.data(), t.mask.data()});
  return t;
}

}  // namespace

TEST("a session reports its tensors and computes a linear policy's logits") {
  need_runtime();
  auto s = onnx::open_session(data("linear_policy.onnx"), {});
  const auto& in = onnx::session_inputs(*s);
  const auto& out = onnx::session_outputs(*s);
  CHECK_EQ(in.size(), size_t{1});
  CHECK(in[0].name == "obs" && in[0].type == "float32");
  CHECK(in[0].shape == (std::vector<int64_t>{-1, 5}));
  CHECK(out[0].name == "logits" && out[0].shape == (std::vector<int64_t>{-1, 2}));
  // Rows: one-hot at 0 and at 3, and all ones. W[i] = ((i+1)/10, -(i+1)/10), b = (0.5, -0.5).
  const float x[15] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1};
  float z[6];
  onnx::run_session(*s, {"obs"}, {x}, {{3, 5}}, {"logits"}, {z}, {{3, 2}});
  const double want[6] = {0.6, -0.6, 0.9, -0.9, 2.0, -2.0};
  for (int i = 0; i < 6; ++i) CHECK_CLOSE(z[i], want[i], 1e-6, 1e-6);
}

TEST("a greedy linear policy in the native loop: actions and log-probabilities by hand") {
  need_runtime();
  auto policy = onnx::make_policy(onnx::open_session(data("linear_policy.onnx"), {}), {}, "linear");
  RolloutOptions o;
  o.batch = 5;
  o.greedy = true;
  auto t = run(make_game("ipd", P()), {policy, make_strategy("always-defect", P())}, o);
  // Start (one-hot 0): logits (0.6, -0.6); after CD (one-hot 2): (0.8, -0.8). Cooperate is always greedy.
  const double first = -std::log1p(std::exp(-1.2)), later = -std::log1p(std::exp(-1.6));
  for (int64_t b = 0; b < 5; ++b)
    for (int s = 0; s < 10; ++s) {
      CHECK_EQ(t.actions[(b * 10 + s) * 2], 0);
      CHECK_CLOSE(t.logp[(b * 10 + s) * 2], s == 0 ? first : later, 1e-5, 1e-6);
    }
}

TEST("a recurrent GRU policy gives the same trajectory on 1 and 3 threads") {
  need_runtime();
  std::ifstream f(data("gru_policy.onnx"), std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto policy = onnx::make_policy(onnx::open_session(bytes, {}), {}, "gru");
  CHECK_EQ(policy->float_memory_size(), int64_t{8});
  auto g = make_game("ipd", P({{"rounds", 30.0}}));
  RolloutOptions o;
  o.batch = 700;
  o.seed = 3;
  o.threads = 1;
  auto a = run(g, {policy, policy}, o);
  o.threads = 3;
  auto b = run(g, {policy, policy}, o);
  CHECK(a.actions == b.actions);
  CHECK(a.logp == b.logp);
  int cooperate = 0;
  for (size_t i = 0; i < a.logp.size(); ++i) {
    CHECK(a.logp[i] <= 0.0f && std::isfinite(a.logp[i]));
    cooperate += a.actions[i] == 0;
  }
  CHECK(cooperate > 0 && cooperate < static_cast<int>(a.actions.size()));  // it samples both moves
}

TEST("model errors carry codes: missing file, corrupt bytes, wrong observation size, unknown names") {
  need_runtime();
  CHECK_THROWS_CODE(onnx::open_session(std::string("/no/such/model.onnx"), {}), codes::kModelLoad);
  CHECK_THROWS_CODE(onnx::open_session(std::vector<uint8_t>{8, 1, 18, 200, 7}, {}), codes::kModelLoad);
  auto session = onnx::open_session(data("linear_policy.onnx"), {});
  onnx::PolicyOptions named;
  named.obs_input = "observation";
  CHECK_THROWS_CODE(onnx::make_policy(session, named, "x"), codes::kModelInputs);
  auto policy = onnx::make_policy(session, {}, "linear");
  auto wide = make_game("ipd", P({{"history", 2.0}}));
  CHECK_THROWS_CODE(policy->check(*wide, 0), codes::kModelShape);
}
