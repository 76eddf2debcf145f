#include "tournament.hpp"

#include <algorithm>

#include "error.hpp"
#include "parallel.hpp"
#include "tournament_lanes.hpp"

namespace dilemma {

TournamentResult run_tournament_pairs(const std::shared_ptr<const Game>& game,
                                      const std::vector<std::shared_ptr<const Policy>>& players,
                                      const std::vector<std::pair<int, int>>& pairs, const RolloutOptions& options) {
  const GameInfo& g = game->info();
  if (g.agents != 2) throw Error(codes::kUnsupported, "tournaments need a two-player game; '" + g.id + "' has " + std::to_string(g.agents));
  const int n = static_cast<int>(players.size());
  if (n < 1) throw Error(codes::kInvalidArgument, "players must not be empty");
  if (pairs.empty()) throw Error(codes::kInvalidArgument, "pairs must not be empty");
  for (size_t k = 0; k < pairs.size(); ++k) {
    const auto [i, j] = pairs[k];
    if (i < 0 || i >= n || j < 0 || j >= n)
      throw Error(codes::kInvalidArgument, "pairs[" + std::to_string(k) + "] must index players (0 to " + std::to_string(n - 1) + ")");
  }
  for (int i = 0; i < n; ++i)
    for (int seat = 0; seat < 2; ++seat) players[i]->check(*game, seat);
  trajectory_sizes(*game, options);
  TournamentResult r;
  r.players = n;
  const int64_t count = static_cast<int64_t>(pairs.size());
  r.mean_return.assign(static_cast<size_t>(count) * 2, 0.0);
  r.action0_rate.assign(r.mean_return.size(), 0.0);
  const int threads = options.threads > 0 ? options.threads : default_threads();
  // Pairs of scripted strategies in a 2x2 game run eight to a register;
  // every other pair runs on one thread and keeps only its totals, a
  // thread's scratch serving all its pairs.
  TournamentLanes lanes;
  if (plan_tournament_lanes(*game, players, pairs, options, &lanes)) run_tournament_lanes(lanes, options, threads, &r);
  std::vector<int64_t> rest;
  for (int64_t k = 0, q = 0; k < count; ++k) {
    if (q < static_cast<int64_t>(lanes.pairs.size()) && lanes.pairs[q].slot == k)
      ++q;
    else
      rest.push_back(k);
  }
  parallel_for(static_cast<int64_t>(rest.size()), threads, 1, [&](int64_t k0, int64_t k1) {
    RolloutSummarizer summarizer;
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t p = rest[k];
      const auto [i, j] = pairs[static_cast<size_t>(p)];
      const RolloutSummary s = summarizer.run(game, {players[i], players[j]}, options);
      for (int seat = 0; seat < 2; ++seat) {
        r.mean_return[p * 2 + seat] = s.returns[seat] / static_cast<double>(options.batch);
        r.action0_rate[p * 2 + seat] = s.live ? s.action0[seat] / static_cast<double>(s.live) : 0.0;
      }
    }
  });
  return r;
}

std::vector<std::pair<int, int>> round_robin_pairs(int players) {
  // Row-major over every ordered pair, so the result is [row, column, seat].
  std::vector<std::pair<int, int>> pairs;
  pairs.reserve(static_cast<size_t>(std::max(players, 0)) * std::max(players, 0));
  for (int i = 0; i < players; ++i)
    for (int j = 0; j < players; ++j) pairs.emplace_back(i, j);
  return pairs;
}

TournamentResult run_tournament(const std::shared_ptr<const Game>& game,
                                const std::vector<std::shared_ptr<const Policy>>& players, const RolloutOptions& options) {
  return run_tournament_pairs(game, players, round_robin_pairs(static_cast<int>(players.size())), options);
}

bool tournament_is_quick(const Game& game, const std::vector<std::shared_ptr<const Policy>>& players,
                         const std::vector<std::pair<int, int>>& pairs, const RolloutOptions& options) {
  constexpr double kQuickPairRounds = 1 << 20;
  if (game.info().agents != 2 || pairs.empty() || options.batch <= 0) return false;
  // Bad options, pairs and players are for run_tournament_pairs to report.
  try {
    for (const auto& p : players)
      for (int seat = 0; seat < 2; ++seat) p->check(game, seat);
    const int T = rollout_steps(game, options);
    if (static_cast<double>(pairs.size()) * static_cast<double>(options.batch) * T > kQuickPairRounds) return false;
    TournamentLanes lanes;
    return plan_tournament_lanes(game, players, pairs, options, &lanes) && lanes.pairs.size() == pairs.size();
  } catch (...) {
    return false;
  }
}

}  // namespace dilemma
