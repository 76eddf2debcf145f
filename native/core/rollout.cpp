#include "rollout.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "env.hpp"
#include "error.hpp"
#include "parallel.hpp"
#include "scripted_matrix.hpp"

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

namespace {

// Checks shared by rollout() and RolloutSummarizer::run().
void check_rollout(const Game& game, const std::vector<std::shared_ptr<const Policy>>& policies,
                   const RolloutOptions& o) {
  rollout_steps(game, o);
  trajectory_sizes(game, o);
  check_policies(game, policies);
  if (!o.groups.empty() && static_cast<int64_t>(o.groups.size()) != o.batch)
    throw Error(codes::kInvalidArgument, "groups must have one id per rollout (" + std::to_string(o.batch) + ")");
  if (!(o.temperature > 0.0f) || !std::isfinite(o.temperature))
    throw Error(codes::kInvalidArgument, "temperature must be a finite number above 0");
}

}  // namespace

// One thread's state: a block-sized EnvBatch, the policies' memory and the
// per-step scratch, all allocated once and reused for every block (and, in
// tournaments, every pair). A block of environments runs all its steps
// before the next block starts, so that its slice of the trajectory stays in
// cache.
class RolloutRunner {
 public:
  RolloutRunner(std::shared_ptr<const Game> game, RolloutOptions o, int64_t capacity)
      : game_(std::move(game)), o_(std::move(o)), T_(rollout_steps(*game_, o_)), capacity_(std::max<int64_t>(1, capacity)),
        envs_(game_, 1, o_.seed) {
    const GameInfo& g = game_->info();
    A_ = g.agents;
    O_ = g.obs_dim;
    done_.resize(capacity_);
    stepped_.resize(capacity_);
  }

  int steps() const { return T_; }

  // Seats held by the same policy act together (one model call for all of them).
  void set_policies(const std::vector<std::shared_ptr<const Policy>>& policies) {
    holders_.clear();
    for (int a = 0; a < A_; ++a) {
      auto it = std::find_if(holders_.begin(), holders_.end(), [&](const Holder& h) { return h.policy == policies[a].get(); });
      if (it == holders_.end()) {
        holders_.push_back(Holder{policies[a].get(), {}});
        it = holders_.end() - 1;
      }
      it->ctx.push_back(ActContext{});
      it->ctx.back().agent = a;
    }
    memory_.resize(A_);
    fmemory_.resize(A_);
    for (int a = 0; a < A_; ++a) {
      memory_[a].resize(static_cast<size_t>(checked_elements("policy memory", {capacity_, policies[a]->memory_size()})));
      fmemory_[a].resize(
          static_cast<size_t>(checked_elements("policy state", {capacity_, policies[a]->float_memory_size()})));
    }
  }

  // Where a block's steps go. Environment first + k's observation rows start
  // at obs + k * obs_stride (+ t * A * O when per_step); its actions, logp,
  // entropy and rewards at [k * out_stride + agent] (+ t * A when per_step):
  // a trajectory keeps every step, a summary overwrites one step's scratch.
  // mask and dones (may be null) at [k * T + t]. A summary also copies the
  // rewards to reward_log [k * T + t, agent] and counts, per agent, the taken
  // steps with action 0 (action0) and the taken steps (live).
  struct Target {
    float* obs;
    int64_t obs_stride;
    int32_t* actions;
    float* logp;
    float* entropy;
    float* rewards;
    int64_t out_stride;
    bool per_step;
    uint8_t* dones;
    uint8_t* mask;
    float* reward_log;
    double* action0;
    int64_t* live;
  };

  void run(int64_t first, int64_t n, const Target& x) {
    const int A = A_, O = O_, T = T_;
    envs_.restart(n, o_.groups.empty() ? nullptr : o_.groups.data() + first, static_cast<uint32_t>(first));
    for (int a = 0; a < A; ++a) {
      std::fill_n(memory_[a].data(), memory_[a].size() ? n * (memory_[a].size() / capacity_) : 0, 0);
      std::fill_n(fmemory_[a].data(), fmemory_[a].size() ? n * (fmemory_[a].size() / capacity_) : 0, 0.0f);
    }
    for (Holder& h : holders_)
      for (ActContext& c : h.ctx) {
        c.envs = &envs_;
        c.seed = o_.seed;
        c.obs_stride = x.obs_stride;
        c.memory = memory_[c.agent].data();
        c.fmemory = fmemory_[c.agent].data();
        c.temperature = o_.temperature;
        c.greedy = o_.greedy;
        c.out_stride = x.out_stride;
        c.first_env = first;
      }
    uint8_t* done = done_.data();
    uint8_t* stepped = stepped_.data();
    for (int t = 0; t < T; ++t) {
      float* obs_t = x.obs + (x.per_step ? static_cast<int64_t>(t) * A * O : 0);
      const int64_t ot = x.per_step ? static_cast<int64_t>(t) * A : 0;
      int32_t* actions_t = x.actions + ot;
      float* logp_t = x.logp + ot;
      float* entropy_t = x.entropy + ot;
      float* rewards_t = x.rewards + ot;
      envs_.observe(0, n, obs_t, x.obs_stride, true);
      for (Holder& h : holders_) {
        for (ActContext& c : h.ctx) {
          c.step = t;
          c.obs = obs_t;
          c.actions = actions_t;
          c.logp = logp_t;
          c.entropy = entropy_t;
        }
        h.policy->act_seats(h.ctx.data(), static_cast<int>(h.ctx.size()), 0, n);
      }
      envs_.step(0, n, actions_t, rewards_t, done, stepped, x.out_stride);
      for (int64_t b = 0; b < n; ++b) {
        const int64_t row = b * T + t;
        const bool live = stepped[b] != 0;
        if (x.mask) {
          x.mask[row] = live;
          x.dones[row] = live && done[b];
        }
        if (x.reward_log)
          for (int a = 0; a < A; ++a) x.reward_log[row * A + a] = rewards_t[b * x.out_stride + a];
        if (x.action0 && live) {
          ++*x.live;
          for (int a = 0; a < A; ++a) x.action0[a] += actions_t[b * x.out_stride + a] == 0;
        }
        if (live) continue;
        for (int a = 0; a < A; ++a) {
          actions_t[b * x.out_stride + a] = -1;
          logp_t[b * x.out_stride + a] = 0.0f;
          entropy_t[b * x.out_stride + a] = 0.0f;
        }
      }
    }
  }

  const EnvBatch& envs() const { return envs_; }

 private:
  struct Holder {
    const Policy* policy;
    std::vector<ActContext> ctx;
  };

  std::shared_ptr<const Game> game_;
  RolloutOptions o_;
  int T_;
  int64_t capacity_;
  int A_ = 0, O_ = 0;
  EnvBatch envs_;
  std::vector<Holder> holders_;
  std::vector<std::vector<int32_t>> memory_;
  std::vector<std::vector<float>> fmemory_;
  std::vector<uint8_t> done_, stepped_;
};

int64_t rollout_block(const std::vector<std::shared_ptr<const Policy>>& policies, int64_t chunk) {
  int64_t block = 0;
  for (const auto& p : policies) {
    const int64_t want = p->preferred_block();
    if (want <= 0) return chunk;  // a policy that wants whole chunks decides
    block = block == 0 ? want : std::min(block, want);
  }
  return std::max<int64_t>(1, std::min(block, chunk));
}

void rollout(const std::shared_ptr<const Game>& game, const std::vector<std::shared_ptr<const Policy>>& policies,
             const RolloutOptions& o, const TrajectoryView& out) {
  const GameInfo& g = game->info();
  check_rollout(*game, policies, o);
  const int64_t B = o.batch;
  const int T = rollout_steps(*game, o);
  const int A = g.agents, O = g.obs_dim;
  const int64_t obs_stride = static_cast<int64_t>(T) * A * O;
  const int64_t out_stride = static_cast<int64_t>(T) * A;
  const int threads = o.threads > 0 ? o.threads : default_threads();
  ScriptedMatrixPlan plan;
  if (plan_scripted_matrix(*game, policies, &plan)) {
    parallel_for(B, threads, 256, [&](int64_t b0, int64_t b1) { scripted_matrix_rollout(plan, o, T, b0, b1, out); });
    return;
  }
  parallel_for(B, threads, 256, [&](int64_t b0, int64_t b1) {
    const int64_t block = rollout_block(policies, b1 - b0);
    RolloutRunner runner(game, o, block);
    runner.set_policies(policies);
    for (int64_t s = b0; s < b1; s += block) {
      const int64_t n = std::min(block, b1 - s);
      RolloutRunner::Target x{out.obs + s * obs_stride,     obs_stride,
                              out.actions + s * out_stride, out.logp + s * out_stride,
                              out.entropy + s * out_stride, out.rewards + s * out_stride,
                              out_stride,                   true,
                              out.dones + s * T,            out.mask + s * T,
                              nullptr,                      nullptr,
                              nullptr};
      runner.run(s, n, x);
      if (out.stats && game->stat_count() > 0)
        for (int64_t b = 0; b < n; ++b) game->stats(runner.envs().state(b), out.stats + (s + b) * game->stat_count());
    }
  });
}

struct RolloutSummarizer::Impl {
  std::unique_ptr<RolloutRunner> runner;
  const Game* game = nullptr;
  uint64_t seed = 0;
  int64_t block = 0;
  float temperature = 1.0f;
  bool greedy = false;
  std::vector<float> obs, logp, entropy, rewards, reward_log;
  std::vector<int32_t> actions;
};

RolloutSummarizer::RolloutSummarizer() : impl_(std::make_unique<Impl>()) {}
RolloutSummarizer::~RolloutSummarizer() = default;

RolloutSummary RolloutSummarizer::run(const std::shared_ptr<const Game>& game,
                                      const std::vector<std::shared_ptr<const Policy>>& policies,
                                      const RolloutOptions& o) {
  check_rollout(*game, policies, o);
  const GameInfo& g = game->info();
  const int A = g.agents, O = g.obs_dim;
  const int64_t B = o.batch;
  const int T = rollout_steps(*game, o);
  RolloutSummary r;
  r.returns.assign(A, 0.0);
  r.action0.assign(A, 0.0);
  ScriptedMatrixPlan plan;
  if (plan_scripted_matrix(*game, policies, &plan)) {
    scripted_matrix_summary(plan, o, T, 0, B, &r);
    return r;
  }
  // Blocks keep their rewards for the summation below; bound that scratch.
  const int64_t budget = std::max<int64_t>(1, (int64_t{1} << 20) / (static_cast<int64_t>(T) * A));
  const int64_t block = std::min(rollout_block(policies, B), budget);
  Impl& m = *impl_;
  // The runner keeps the options it was made with: remake it when they change.
  if (!m.runner || m.game != game.get() || m.seed != o.seed || m.block != block || !o.groups.empty() ||
      m.runner->steps() != T || m.temperature != o.temperature || m.greedy != o.greedy) {
    m.runner = std::make_unique<RolloutRunner>(game, o, block);
    m.game = game.get();
    m.seed = o.seed;
    m.block = block;
    m.temperature = o.temperature;
    m.greedy = o.greedy;
  }
  m.runner->set_policies(policies);
  m.obs.resize(static_cast<size_t>(block * A * O));
  m.actions.resize(static_cast<size_t>(block * A));
  m.logp.resize(m.actions.size());
  m.entropy.resize(m.actions.size());
  m.rewards.resize(m.actions.size());
  m.reward_log.resize(static_cast<size_t>(block * T * A));
  for (int64_t s = 0; s < B; s += block) {
    const int64_t n = std::min(block, B - s);
    RolloutRunner::Target x{m.obs.data(),     static_cast<int64_t>(A) * O,
                            m.actions.data(), m.logp.data(),
                            m.entropy.data(), m.rewards.data(),
                            A,                false,
                            nullptr,          nullptr,
                            m.reward_log.data(), r.action0.data(),
                            &r.live};
    m.runner->run(s, n, x);
    // Rollout by rollout, step by step: the order a trajectory is summed in.
    const float* rl = m.reward_log.data();
    for (int64_t k = 0; k < n * T; ++k)
      for (int a = 0; a < A; ++a) r.returns[a] += rl[k * A + a];
  }
  return r;
}

}  // namespace dilemma
