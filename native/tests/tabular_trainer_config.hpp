// The small trainer the trainer tests start from, on the CPU (fused lanes)
// and on the GPU (cuda/tests reach this file through native/core's include
// path): a tabular policy over a two-action game, 96 episodes a batch.
#pragma once

#include <string>
#include <utility>

#include "../core/game.hpp"
#include "../core/learn/model.hpp"
#include "../core/learn/trainer.hpp"

namespace dtest {

inline dilemma::learn::TrainerConfig tabular_trainer_config(dilemma::Params game, int history_blocks = 1,
                                                            const std::string& id = "ipd") {
  dilemma::learn::TrainerConfig c;
  c.game = dilemma::make_game(id, std::move(game));
  const int obs = c.game->info().obs_dim;
  c.model = dilemma::learn::make_model("tabular", obs, 2,
                                       dilemma::Params("policy", {{"blocks", double(history_blocks)}}));
  c.batch = 96;
  c.seed = 11;
  c.gamma = 0.9f;
  c.beta = 0.7f;
  c.adam.lr = 0.1f;
  return c;
}

}  // namespace dtest
