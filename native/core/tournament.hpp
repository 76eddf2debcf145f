// Every ordered pair of policies in a two-player game: one rollout per pair
// (seat 0 = row policy, seat 1 = column policy), pairs spread across threads.
// Each pair's rollout is exactly rollout() with the given seed, so results
// equal separate rollouts whatever the thread count.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "rollout.hpp"

namespace dilemma {

struct TournamentResult {
  int players = 0;
  // [row, column, seat]: mean episode return, and share of taken steps with action 0.
  std::vector<double> mean_return, action0_rate;
};

TournamentResult run_tournament(const std::shared_ptr<const Game>& game,
                                const std::vector<std::shared_ptr<const Policy>>& players, const RolloutOptions& options);

// Only the listed ordered pairs ({row, column} indices into players), so a
// large round-robin can be split into jobs: result arrays are [pair, seat],
// and each pair's numbers equal those of the full round-robin.
TournamentResult run_tournament_pairs(const std::shared_ptr<const Game>& game,
                                      const std::vector<std::shared_ptr<const Policy>>& players,
                                      const std::vector<std::pair<int, int>>& pairs, const RolloutOptions& options);

// Every ordered pair of `players` players, row-major: run_tournament's list.
std::vector<std::pair<int, int>> round_robin_pairs(int players);

// True when every listed pair runs in the scripted lanes
// (tournament_lanes.hpp) and they are at most 2^20 pair-rounds together:
// well under a millisecond on one core, less than handing them to another
// thread and back costs.
bool tournament_is_quick(const Game& game, const std::vector<std::shared_ptr<const Policy>>& players,
                         const std::vector<std::pair<int, int>>& pairs, const RolloutOptions& options);

}  // namespace dilemma
