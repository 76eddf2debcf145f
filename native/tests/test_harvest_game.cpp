// The game of harvest_game.cpp, which only this executable links: it is in
// the registry with its specs and keeps every game's contracts.
#include <algorithm>

#include "../core/env.hpp"
#include "../core/game.hpp"
#include "check.hpp"
#include "conformance.hpp"

using namespace dilemma;

TEST("harvest: registered by its own file, with its specs and doc") {
  const auto& ids = game_ids();
  CHECK(std::find(ids.begin(), ids.end(), "harvest") != ids.end());
  // The core's games are still there beside it.
  CHECK(std::find(ids.begin(), ids.end(), "matrix") != ids.end());
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  const ParamSpecs& specs = game_params("harvest");
  CHECK_EQ(specs.size(), size_t{2});
  CHECK(specs[0].name == "rounds" && specs[0].type == ParamType::kInteger && specs[0].fallback == 5);
  CHECK(specs[1].name == "bonus" && specs[1].type == ParamType::kNumber && specs[1].fallback == 3.0);
  CHECK(specs[1].lo == 0.0 && specs[1].hi == 100.0);
  CHECK(game_doc("harvest").find("foragers") != std::string::npos);
}

TEST("harvest: parameters are read through the specs and checked") {
  const auto game = make_game("harvest", Params("params", {{"rounds", 7.0}}));
  CHECK_EQ(game->info().max_steps, 7);
  try {
    make_game("harvest", Params("params", {{"bonus", 101.0}}));
    CHECK(false);
  } catch (const Error& e) {
    CHECK(std::string(e.code()) == codes::kInvalidParam);
    CHECK(std::string(e.what()).find("params.bonus") != std::string::npos);
  }
  try {
    make_game("harvest", Params("params", {{"bonsu", 1.0}}));
    CHECK(false);
  } catch (const Error& e) {
    CHECK(std::string(e.code()) == codes::kInvalidParam);
  }
}

TEST("harvest: a known episode pays by hand") {
  const auto game = make_game("harvest", Params("params", {{"rounds", 3.0}, {"bonus", 4.0}}));
  EnvBatch e(game, 1, 0);
  // Rounds: both restrain (2, 2); agent 0 harvests alone (4, 0); both harvest (1, 1).
  const int32_t moves[3][2] = {{0, 0}, {1, 0}, {1, 1}};
  const float want[3][2] = {{2, 2}, {4, 0}, {1, 1}};
  float obs[10], rewards[2];
  uint8_t done = 0;
  e.observe(0, 1, obs);
  CHECK_EQ(obs[0], 1.0f);
  CHECK_EQ(obs[5], 1.0f);
  for (int t = 0; t < 3; ++t) {
    e.step(0, 1, moves[t], rewards, &done, nullptr);
    CHECK_EQ(rewards[0], want[t][0]);
    CHECK_EQ(rewards[1], want[t][1]);
    CHECK_EQ(done != 0, t == 2);
    if (t == 1) {
      // Agent 0 sees "only I harvested" (index 3), agent 1 "only the other harvested" (index 2).
      e.observe(0, 1, obs);
      CHECK_EQ(obs[3], 1.0f);
      CHECK_EQ(obs[5 + 2], 1.0f);
    }
  }
  CHECK_EQ(e.returns()[0], 7.0f);
  CHECK_EQ(e.returns()[1], 3.0f);
}

TEST("harvest: keeps every game's contracts") { conformance::check_game("harvest"); }
