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
  const TrajectorySizes sizes = trajectory_sizes(*game, options);
  TournamentResult r;
  r.players = n;
  r.mean_return.assign(static_cast<size_t>(n) * n * 2, 0.0);
  r.action0_rate.assign(r.mean_return.size(), 0.0);
  const int threads = options.threads > 0 ? options.threads : default_threads();
  parallel_for(static_cast<int64_t>(n) * n, threads, 1, [&](int64_t p0, int64_t p1) {
    std::vector<float> obs(sizes.obs), logp(sizes.per_agent), entropy(sizes.per_agent), rewards(sizes.per_agent);
    std::vector<int32_t> actions(sizes.per_agent);
    std::vector<uint8_t> dones(sizes.per_step), mask(sizes.per_step);
    RolloutOptions o = options;
    o.threads = 1;
    for (int64_t p = p0; p < p1; ++p) {
      const int i = static_cast<int>(p / n), j = static_cast<int>(p % n);
      rollout(game, {players[i], players[j]}, o,
              {obs.data(), actions.data(), logp.data(), entropy.data(), rewards.data(), dones.data(), mask.data()});
      double ret[2] = {0, 0}, coop[2] = {0, 0};
      int64_t live = 0;
      for (int64_t k = 0; k < sizes.per_step; ++k) {
        ret[0] += rewards[2 * k];
        ret[1] += rewards[2 * k + 1];
        if (!mask[k]) continue;
        ++live;
        coop[0] += actions[2 * k] == 0;
        coop[1] += actions[2 * k + 1] == 0;
      }
      for (int s = 0; s < 2; ++s) {
        r.mean_return[p * 2 + s] = ret[s] / static_cast<double>(o.batch);
        r.action0_rate[p * 2 + s] = live ? coop[s] / static_cast<double>(live) : 0.0;
      }
    }
  });
  return r;
}

}  // namespace dilemma
