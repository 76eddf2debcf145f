// Trainer::fit_actions, the behaviour-cloning step: the mean negative
// log-likelihood of given actions and one Adam step on it, checked against
// values worked out by hand on a table (the IPD's five memory-1 states, two
// actions), and its argument errors.
#include <cmath>
#include <vector>

#include "../core/error.hpp"
#include "../core/game.hpp"
#include "../core/learn/model.hpp"
#include "../core/learn/trainer.hpp"
#include "check.hpp"

using dilemma::Params;
using dilemma::learn::Trainer;
using dilemma::learn::TrainerConfig;

namespace {

constexpr int kStates = 5;

TrainerConfig table_config(float lr) {
  TrainerConfig c;
  c.game = dilemma::make_game("ipd", Params("game", {}));
  c.model = dilemma::learn::make_model("tabular", kStates, 2, Params("policy", {}));
  c.batch = 1;
  c.adam.lr = lr;
  return c;
}

// B sequences of T steps, all in `state`, the first `defect` rows of each taking D, the rest C.
void data(int B, int T, int state, int defect, std::vector<float>& obs, std::vector<int32_t>& actions) {
  obs.assign(static_cast<size_t>(B * T * kStates), 0.0f);
  actions.assign(static_cast<size_t>(B * T), 0);
  for (int i = 0; i < B * T; ++i) {
    obs[i * kStates + state] = 1.0f;
    actions[i] = i % T < defect ? 1 : 0;
  }
}

}  // namespace

TEST("fit_actions: loss ln 2 at a zero table, Adam's first step lr towards the taken action, counters untouched") {
  Trainer t(table_config(0.01f));
  std::vector<float> obs;
  std::vector<int32_t> actions;
  data(2, 3, 1, 0, obs, actions);  // six cooperations in state 1
  const auto f = t.fit_actions(obs.data(), actions.data(), nullptr, 2, 3);
  CHECK_CLOSE(f.loss, std::log(2.0), 1e-6, 1e-7);
  CHECK_EQ(f.live_rows, 6);
  const auto s = t.state();
  CHECK_EQ(s.iteration, 0);
  CHECK_EQ(s.adam_t, 1);
  for (int i = 0; i < 2 * kStates; ++i) CHECK_CLOSE(s.params[i], i == 2 ? 0.01 : i == 3 ? -0.01 : 0.0, 1e-4, 1e-6);
}

TEST("fit_actions: repeated steps reach the data's action frequency (1 defection in 4)") {
  Trainer t(table_config(0.05f));
  std::vector<float> obs;
  std::vector<int32_t> actions;
  data(4, 4, 0, 1, obs, actions);
  for (int k = 0; k < 2000; ++k) t.fit_actions(obs.data(), actions.data(), nullptr, 4, 4);
  const auto p = t.state().params;
  const double cooperate = 1.0 / (1.0 + std::exp(p[1] - p[0]));
  CHECK_CLOSE(cooperate, 0.75, 0, 1e-3);
  // The minimum of the loss is the data's entropy, H(3/4, 1/4) in nats.
  const double entropy = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25));
  CHECK_CLOSE(t.fit_actions(obs.data(), actions.data(), nullptr, 4, 4).loss, entropy, 0, 1e-5);
}

TEST("fit_actions: masked and padded rows do not count; bad arguments are named errors, nothing changes") {
  Trainer t(table_config(0.01f));
  std::vector<float> obs;
  std::vector<int32_t> actions;
  data(1, 4, 2, 0, obs, actions);
  std::vector<uint8_t> mask{1, 0, 1, 1};
  actions[3] = -1;
  CHECK_EQ(t.fit_actions(obs.data(), actions.data(), mask.data(), 1, 4).live_rows, 2);
  const auto before = t.state().params;
  actions[0] = 2;
  CHECK_THROWS_CODE(t.fit_actions(obs.data(), actions.data(), nullptr, 1, 4), "ERR_INVALID_ARGUMENT");
  CHECK_THROWS_CODE(t.fit_actions(obs.data(), actions.data(), nullptr, 0, 4), "ERR_INVALID_ARGUMENT");
  CHECK_THROWS_CODE(t.fit_actions(nullptr, actions.data(), nullptr, 1, 4), "ERR_INVALID_ARGUMENT");
  CHECK(t.state().params == before);
}
