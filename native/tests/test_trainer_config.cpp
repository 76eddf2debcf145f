// The trainer config read through its specs (learn/trainer_config.cpp): the
// documented defaults when nothing is given, each setting's range, the rule
// between groupSize and batch, and the constructor's check of a config built
// in C++. Expected values are the documented ones, written by hand.
#include <functional>
#include <string>

#include "../core/error.hpp"
#include "../core/game.hpp"
#include "../core/learn/model.hpp"
#include "../core/learn/trainer.hpp"
#include "../core/learn/trainer_config.hpp"
#include "check.hpp"

using dilemma::Params;
using dilemma::ParamValue;
using dilemma::learn::TrainerConfig;
using dilemma::learn::trainer_config_from;
namespace codes = dilemma::codes;

namespace {

using dtest::expect_error;

TrainerConfig read(std::map<std::string, ParamValue> values) {
  return trainer_config_from(Params("config", std::move(values)));
}

}  // namespace

TEST("trainer config: nothing given reads the documented defaults") {
  const TrainerConfig c = read({});
  CHECK(c.algorithm == dilemma::learn::Algorithm::kAdvantageAlignment);
  CHECK(c.baseline == dilemma::learn::Baseline::kLeaveOneOut);
  CHECK_EQ(c.batch, 512);
  CHECK_EQ(c.iterations, 100);
  CHECK_EQ(c.steps, 0);
  CHECK_EQ(c.group_size, 0);
  CHECK_EQ(c.seed, uint64_t{0});
  CHECK_EQ(c.gamma, 0.9f);
  CHECK_EQ(c.lambda, 0.95f);
  CHECK_EQ(c.beta, 0.5f);
  CHECK_EQ(c.epochs, 1);
  CHECK_EQ(c.adam.lr, 0.05f);
  CHECK_EQ(c.critic_adam.lr, 0.05f);
  CHECK_EQ(c.adam.beta1, 0.9f);
  CHECK_EQ(c.adam.beta2, 0.999f);
  CHECK_EQ(c.loss.ratio_cap, 2.0f);
  CHECK_EQ(c.loss.clip, 0.2f);
  CHECK_EQ(c.temperature, 1.0f);
  CHECK_EQ(c.snapshot_every, 1);
  CHECK_EQ(c.threads, 0);
  CHECK(!c.include_current && !c.whiten_credits);
  CHECK(c.schedule == TrainerConfig::Schedule::kConstant);
}

TEST("trainer config: given values, criticLr defaulting to lr, a seed past 2^32") {
  const TrainerConfig c = read({{"algorithm", std::string("naive")},
                                {"objective", std::string("ppo")},
                                {"lr", 0.25},
                                {"batch", 8.0},
                                {"groupSize", 4.0},
                                {"seed", 8589934593.0},
                                {"includeCurrent", 1.0},
                                {"lrSchedule", std::string("linear")}});
  CHECK(c.algorithm == dilemma::learn::Algorithm::kNaive);
  CHECK(c.loss.objective == dilemma::learn::LossObjective::kPpo);
  CHECK_EQ(c.critic_adam.lr, 0.25f);
  CHECK_EQ(c.group_size, 4);
  CHECK_EQ(c.seed, uint64_t{8589934593});
  CHECK(c.include_current);
  CHECK(c.schedule == TrainerConfig::Schedule::kLinear);
  CHECK_EQ(read({{"lr", 0.25}, {"criticLr", 0.5}}).critic_adam.lr, 0.5f);
}

TEST("trainer config: ranges, choices and the groupSize rule are coded errors naming the setting") {
  expect_error([] { read({{"gamma", 1.5}}); }, codes::kInvalidParam, "config.gamma must be a finite number in [0, 1], got 1.5");
  expect_error([] { read({{"batch", 0.0}}); }, codes::kInvalidParam, "config.batch");
  expect_error([] { read({{"epochs", 1.5}}); }, codes::kInvalidParam, "config.epochs must be an integer");
  expect_error([] { read({{"seed", 0.5}}); }, codes::kInvalidParam, "config.seed must be an integer, got 0.5");
  expect_error([] { read({{"aaForm", std::string("sum")}}); }, codes::kInvalidParam,
               "config.aaForm 'sum' is unknown (known: discounted, mean)");
  expect_error([] { read({{"batch", 8.0}, {"groupSize", 9.0}}); }, codes::kInvalidParam,
               "config.groupSize must not exceed batch (8), got 9");
  expect_error([] { read({{"groupSize", 600.0}}); }, codes::kInvalidParam, "must not exceed batch (512)");
}

TEST("trainer config: the constructor checks a config built in C++ against the same specs") {
  TrainerConfig c;
  c.game = dilemma::make_game("ipd", Params("game", {}));
  c.model = dilemma::learn::make_model("tabular", 5, 2, Params("policy", {}));
  c.batch = 4;
  c.temperature = 1e-6f;  // the range's low end, as a float
  dilemma::learn::Trainer ok(c);
  CHECK_EQ(ok.config().group_size, 4);
  c.group_size = 5;
  expect_error([&] { dilemma::learn::Trainer t(c); }, codes::kInvalidParam, "config.groupSize must not exceed batch (4), got 5");
  c.group_size = 0;
  c.gamma = -0.5f;
  expect_error([&] { dilemma::learn::Trainer t(c); }, codes::kInvalidParam, "config.gamma must be in [0, 1], got -0.5");
}
