#include "rollout.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "env.hpp"
#include "error.hpp"
#include "parallel.hpp"

namespace dilemma {

int rollout_steps(const Game& game, const RolloutOptions& o) {
  if (o.steps < 0) throw Error(codes::kInvalidArgument, "steps must be at least 1");
  return o.steps == 0 ? game.info().max_steps : o.steps;
}

TrajectorySizes trajectory_sizes(const Game& game, const RolloutOptions& o) {
  const GameInfo& g = game.info();
  const int64_t T = rollout_steps(game, o);
  return TrajectorySizes{checked_elements("observations", {o.batch, T, g.agents, g.obs_dim}),
                         checked_elements("per-agent arrays", {o.batch, T, g.agents}),
                         checked_elements("per-step arrays", {o.batch, T})};
}

void check_policies(const Game& game, const std::vector<std::shared_ptr<const Policy>>& policies) {
  const int agents = game.info().agents;
  if (static_cast<int>(policies.size()) != agents)
    throw Error(codes::kInvalidArgument, "policies must have one entry per agent: game '" + game.info().id + "' has " +
                                             std::to_string(agents) + ", got " + std::to_string(policies.size()));
  for (int a = 0; a < agents; ++a) {
    if (!policies[a]) throw Error(codes::kInvalidArgument, "policies[" + std::to_string(a) + "] is missing");
    policies[a]->check(game, a);
  }
}

void rollout(const std::shared_ptr<const Game>& game, const std::vector<std::shared_ptr<const Policy>>& policies,
             const RolloutOptions& o, const TrajectoryView& out) {
  const GameInfo& g = game->info();
  const Game& gm = *game;
  const int64_t B = o.batch;
  const int T = rollout_steps(*game, o);
  trajectory_sizes(*game, o);
  check_policies(*game, policies);
  if (!o.groups.empty() && static_cast<int64_t>(o.groups.size()) != B)
    throw Error(codes::kInvalidArgument, "groups must have one id per rollout (" + std::to_string(B) + ")");

  EnvBatch envs(game, B, o.seed, o.groups);
  const int A = g.agents, O = g.obs_dim;
  const int64_t obs_stride = static_cast<int64_t>(T) * A * O;
  const int64_t out_stride = static_cast<int64_t>(T) * A;
  std::vector<uint8_t> done(B), stepped(B);
  if (!(o.temperature > 0.0f) || !std::isfinite(o.temperature))
    throw Error(codes::kInvalidArgument, "temperature must be a finite number above 0");
  std::vector<std::vector<int32_t>> memory(A);
  std::vector<std::vector<float>> fmemory(A);
  for (int a = 0; a < A; ++a) {
    memory[a].assign(static_cast<size_t>(checked_elements("policy memory", {B, policies[a]->memory_size()})), 0);
    fmemory[a].assign(static_cast<size_t>(checked_elements("policy state", {B, policies[a]->float_memory_size()})), 0.0f);
  }

  // Seats held by the same policy act together (one model call for all of them).
  std::vector<std::pair<const Policy*, std::vector<int>>> holders;
  for (int a = 0; a < A; ++a) {
    auto it = std::find_if(holders.begin(), holders.end(), [&](const auto& h) { return h.first == policies[a].get(); });
    if (it == holders.end())
      holders.push_back({policies[a].get(), {a}});
    else
      it->second.push_back(a);
  }

  const int threads = o.threads > 0 ? o.threads : default_threads();
  parallel_for(B, threads, 256, [&](int64_t b0, int64_t b1) {
    for (int t = 0; t < T; ++t) {
      // Everything is written in place in the trajectory: environment b's
      // slice of step t starts at b * stride from these bases.
      float* obs_t = out.obs + static_cast<int64_t>(t) * A * O;
      int32_t* actions_t = out.actions + static_cast<int64_t>(t) * A;
      float* logp_t = out.logp + static_cast<int64_t>(t) * A;
      float* entropy_t = out.entropy + static_cast<int64_t>(t) * A;
      float* rewards_t = out.rewards + static_cast<int64_t>(t) * A;
      for (int64_t b = b0; b < b1; ++b) {
        float* row = obs_t + b * obs_stride;
        if (envs.done(b))
          std::memset(row, 0, sizeof(float) * A * O);
        else
          for (int a = 0; a < A; ++a) envs.observe_agent(b, a, row + a * O);
      }
      for (const auto& [policy, seats] : holders) {
        std::vector<ActContext> ctx;
        for (int a : seats)
          ctx.push_back(ActContext{&envs, a, t, o.seed, obs_t, obs_stride, memory[a].data(), fmemory[a].data(),
                                   o.temperature, o.greedy, actions_t, logp_t, entropy_t, out_stride});
        policy->act_seats(ctx.data(), static_cast<int>(ctx.size()), b0, b1);
      }
      envs.step(b0, b1, actions_t, rewards_t, done.data(), stepped.data(), out_stride);
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t row = b * T + t;
        const bool live = stepped[b] != 0;
        out.mask[row] = live;
        out.dones[row] = live && done[b];
        if (live) continue;
        for (int a = 0; a < A; ++a) {
          actions_t[b * out_stride + a] = -1;
          logp_t[b * out_stride + a] = 0.0f;
          entropy_t[b * out_stride + a] = 0.0f;
        }
      }
    }
    if (out.stats && gm.stat_count() > 0)
      for (int64_t b = b0; b < b1; ++b) gm.stats(envs.state(b), out.stats + b * gm.stat_count());
  });
}

}  // namespace dilemma
