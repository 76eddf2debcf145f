#include "tournament.hpp"

#include "error.hpp"
#include "parallel.hpp"

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
  // Each pair runs on one thread and keeps only its totals; a thread's
  // scratch serves all its pairs.
  parallel_for(count, threads, 1, [&](int64_t p0, int64_t p1) {
    RolloutSummarizer summarizer;
    for (int64_t p = p0; p < p1; ++p) {
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

TournamentResult run_tournament(const std::shared_ptr<const Game>& game,
                                const std::vector<std::shared_ptr<const Policy>>& players, const RolloutOptions& options) {
  const int n = static_cast<int>(players.size());
  // Row-major over every ordered pair, so the result is [row, column, seat].
  std::vector<std::pair<int, int>> pairs;
  pairs.reserve(static_cast<size_t>(n) * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) pairs.emplace_back(i, j);
  return run_tournament_pairs(game, players, pairs, options);
}

}  // namespace dilemma
