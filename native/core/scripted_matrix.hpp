// Two scripted strategies in an iterated 2x2 game, fused: one loop per
// environment runs the strategies' rules (strategy_rules.hpp) and the game's
// (games/matrix_rules.hpp) with no call per step, the loop the CUDA rollout
// kernel runs per thread. It draws exactly what the general rollout draws
// (scripted moves from domain kScripted at stream = rollout index, the game's
// noise and continuation from kEnv at its stream), so it is an exact shortcut
// of rollout() for the policies and games it accepts.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "rollout.hpp"

namespace dilemma {

struct ScriptedMatrixPlan {
  const matrix::Rules* rules = nullptr;
  int history = 1;
  int max_steps = 0;
  strategy::Rule rule[2];
  bool stochastic[2];
};

// The game's 2x2 rules (and history length) when the fused scripted paths
// can play it: an iterated 2x2 game with cooperate = 0, defect = 1 and no
// statistics. Null otherwise.
const matrix::Rules* scripted_matrix_rules(const Game& game, int* history);

// True (and the plan filled) when game is an iterated 2x2 game and both
// policies are scripted strategies.
bool plan_scripted_matrix(const Game& game, const std::vector<std::shared_ptr<const Policy>>& policies,
                          ScriptedMatrixPlan* plan);

// Writes the trajectory rows of rollouts [b0, b1) (T steps each), as rollout() would.
void scripted_matrix_rollout(const ScriptedMatrixPlan& plan, const RolloutOptions& o, int T, int64_t b0, int64_t b1,
                             const TrajectoryView& out);

// Adds rollouts [b0, b1)'s rewards (rollout by rollout, step by step),
// cooperation counts and taken steps to s.
void scripted_matrix_summary(const ScriptedMatrixPlan& plan, const RolloutOptions& o, int T, int64_t b0, int64_t b1,
                             RolloutSummary* s);

}  // namespace dilemma
