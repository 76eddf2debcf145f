// A tournament's scripted pairs in an iterated 2x2 game, eight pairs per
// AVX2 register. Every pair replays rollout indices 0 .. batch - 1 with the
// same seed, and a rollout's draws depend on its index and step only (the
// strategies' draws, the game's noise and continuation), never on the pair:
// they are computed once per rollout index and step and broadcast to every
// lane. Rollouts of one index therefore also end together, so lanes never
// idle. Each strategy becomes a table of cooperation thresholds over what it
// reads (the last joint move, the round's parity, whether the other side
// ever defected), and the move is an integer compare of that threshold with
// the draw's 24 bits, which is exactly strategy::cooperates.
//
// Lanes count joint moves instead of summing rewards. That gives the
// general path's bits only when its sum is exact in every order: every
// reward a multiple of one power of two and every partial sum below 2^53 of
// it. plan_tournament_lanes checks this and leaves the pairs to the general
// path otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "rollout.hpp"
#include "strategy_rules.hpp"
#include "tournament.hpp"

namespace dilemma {

// One pair the lanes play: its entry in the result, and the players in
// seat 0 (row) and seat 1 (column).
struct LanePair {
  int64_t slot;
  int32_t row, column;
};

struct TournamentLanes {
  const matrix::Rules* rules = nullptr;
  int max_steps = 0;
  int steps = 0;  // T, the loop bound of every rollout
  // Per player, its rule in seat 0 and in seat 1 (valid where scripted[2 * i + seat]).
  std::vector<strategy::Rule> rule;
  std::vector<uint8_t> scripted;
  // The pairs the lanes play, by ascending slot.
  std::vector<LanePair> pairs;
};

// Fills plan with the listed pairs ({row, column}; slot k for pairs[k]) that
// the lanes can play (both seats scripted). False, with no pairs, when the
// CPU has no AVX2, the game is not an iterated 2x2 game or its rewards do
// not sum exactly.
bool plan_tournament_lanes(const Game& game, const std::vector<std::shared_ptr<const Policy>>& players,
                           const std::vector<std::pair<int, int>>& pairs, const RolloutOptions& options,
                           TournamentLanes* plan);

// Plays the planned pairs and writes their slots of r (sized for every pair).
void run_tournament_lanes(const TournamentLanes& plan, const RolloutOptions& options, int threads,
                          TournamentResult* r);

}  // namespace dilemma
