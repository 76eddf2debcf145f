#include "tournament.hpp"

#include "error.hpp"
#include "parallel.hpp"

namespace dilemma {

TournamentResult run_tournament(const std::shared_ptr<const Game>& game,
                                const std::vector<std::shared_ptr<const Policy>>& players, const RolloutOptions& options) {
  const GameInfo& g = game->info();
  if (g.agents != 2) throw Error(codes::kUnsupported, "tournaments need a two-player game; '" + g.id + "' has " + std::to_string(g.agents));
  const int n = static_cast<int>(players.size());
  if (n < 1) throw Error(codes::kInvalidArgument, "players must not be empty");
  for (int i = 0; i < n; ++i)
    for (int seat = 0; seat < 2; ++seat) players[i]->check(*game, seat);
  trajectory_sizes(*game, options);
  TournamentResult r;
  r.players = n;
  r.mean_return.assign(static_cast<size_t>(n) * n * 2, 0.0);
  r.action0_rate.assign(r.mean_return.size(), 0.0);
  const int threads = options.threads > 0 ? options.threads : default_threads();
  // Each pair runs on one thread and keeps only its totals; a thread's
  // scratch serves all its pairs.
  parallel_for(static_cast<int64_t>(n) * n, threads, 1, [&](int64_t p0, int64_t p1) {
    RolloutSummarizer summarizer;
    for (int64_t p = p0; p < p1; ++p) {
      const int i = static_cast<int>(p / n), j = static_cast<int>(p % n);
      const RolloutSummary s = summarizer.run(game, {players[i], players[j]}, options);
      for (int seat = 0; seat < 2; ++seat) {
        r.mean_return[p * 2 + seat] = s.returns[seat] / static_cast<double>(options.batch);
        r.action0_rate[p * 2 + seat] = s.live ? s.action0[seat] / static_cast<double>(s.live) : 0.0;
      }
    }
  });
  return r;
}

}  // namespace dilemma
