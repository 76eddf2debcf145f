// The stages of a training iteration (trainer_stages.hpp): the opponents'
// choice and the learning-rate schedule, which both paths run, and the
// general path's rollout, transpose, critic, credits, loss epochs and
// metrics. Each keeps the arithmetic and its order as one function had it,
// so the numbers are the same bits.
#include "trainer_stages.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../credit.hpp"
#include "../rng.hpp"
#include "../rollout.hpp"
#include "model_policy.hpp"

namespace dilemma::learn {

namespace {

using stages::Shape;
using stages::Workspace;

// Returns-to-go of one agent's rewards r [B, T] and their leave-one-out
// baseline within groups (dense ids [B]): ret and adv [B, T].
void leave_one_out_advantages(const TrainerConfig& cfg, const float* r, const int32_t* groups, int64_t B, int64_t T,
                              float* ret, float* adv) {
  credit::discounted_returns(r, ret, B, T, cfg.gamma, cfg.threads);
  credit::leave_one_out(ret, groups, adv, B, T, cfg.threads);
}

// The credit of agent a ([B, T] into out) from every agent's advantages, by
// the configured algorithm; others is scratch of B * T floats.
// past: every agent's one-step reward advantages (AaPast::kRewards), or empty.
void seat_credit(const TrainerConfig& cfg, const std::vector<std::vector<float>>& adv,
                 const std::vector<std::vector<float>>& past, int64_t a, int64_t B, int64_t T,
                 std::vector<float>& others, float* out) {
  const int64_t BT = B * T, A = static_cast<int64_t>(adv.size());
  others.assign(static_cast<size_t>(BT), 0.0f);
  for (int64_t j = 0; j < A; ++j)
    if (j != a)
      for (int64_t i = 0; i < BT; ++i) others[i] += adv[j][i];
  switch (cfg.algorithm) {
    case Algorithm::kNaive: std::memcpy(out, adv[a].data(), sizeof(float) * BT); break;
    case Algorithm::kSumOfRewards: credit::sum_of_rewards(adv[a].data(), others.data(), out, BT, cfg.threads); break;
    case Algorithm::kAdvantageAlignment:
      if (!past.empty()) {
        for (int64_t b = 0; b < B; ++b)
          credit::advantage_alignment_past_row(adv[a].data() + b * T, past[a].data() + b * T, others.data() + b * T,
                                               out + b * T, T, cfg.beta, cfg.gamma, cfg.include_current, cfg.aa_form);
        break;
      }
      credit::advantage_alignment(adv[a].data(), others.data(), out, B, T, cfg.beta, cfg.gamma, cfg.include_current,
                                  cfg.aa_form, cfg.threads);
      break;
  }
}

// Agent a's rewards [B, T] out of the rollout's [B, T, A].
void agent_rewards(const Batch& t, const Shape& s, int64_t a, std::vector<float>& r) {
  r.resize(s.BT);
  for (int64_t i = 0; i < s.BT; ++i) r[i] = t.rewards[i * s.A + a];
}

// Agent a's observations [B, T, O] out of the rollout's [B, T, A, O].
void agent_obs(const Batch& t, const Shape& s, int64_t a, float* out) {
  for (int64_t i = 0; i < s.BT; ++i)
    std::memcpy(out + i * s.O, t.obs.data() + (i * s.A + a) * s.O, sizeof(float) * s.O);
}

}  // namespace

namespace stages {

Opponents choose_opponents(const TrainerConfig& cfg, int64_t iteration, const std::vector<std::vector<float>>& buffer,
                           int agents) {
  Opponents o;
  const float u_buffer = rng::uniform(cfg.seed, static_cast<uint32_t>(iteration), 0, 0, rng::kInit, 3);
  const float u_pick = rng::uniform(cfg.seed, static_cast<uint32_t>(iteration), 0, 0, rng::kInit, 4);
  if (!buffer.empty() && u_buffer < cfg.buffer_probability) {
    o.snapshot = &buffer[std::min(buffer.size() - 1, static_cast<size_t>(u_pick * buffer.size()))];
    o.seats = {0};
  } else {
    for (int a = 0; a < agents; ++a) o.seats.push_back(a);
  }
  return o;
}

void apply_schedule(const TrainerConfig& cfg, int64_t iteration, Adam& adam, Adam& critic_adam) {
  if (cfg.schedule != TrainerConfig::Schedule::kLinear || cfg.iterations <= 0) return;
  const double left = std::max(0.0, 1.0 - static_cast<double>(iteration) / static_cast<double>(cfg.iterations));
  adam.set_lr(static_cast<float>(cfg.adam.lr * left));
  critic_adam.set_lr(static_cast<float>(cfg.critic_adam.lr * left));
}

// Rollout: the learner's parameters in its seats, the snapshot's (if any) in
// the others; fills w.t, w.groups and the game statistics of m.
void play(const TrainerConfig& cfg, const Shape& s, std::shared_ptr<const std::vector<float>> params,
          const std::vector<float>* opponent, uint64_t seed, Workspace& w, IterationMetrics& m) {
  auto learner = make_model_policy(cfg.model, std::move(params), "learner");
  std::vector<std::shared_ptr<const Policy>> policies(s.A, learner);
  if (opponent) {
    auto past = make_model_policy(cfg.model, std::make_shared<const std::vector<float>>(*opponent), "snapshot");
    for (int64_t a = 1; a < s.A; ++a) policies[a] = past;
  }
  RolloutOptions ro;
  ro.batch = s.B;
  ro.steps = static_cast<int>(s.T);
  ro.seed = seed;
  ro.threads = s.threads;
  ro.temperature = cfg.temperature;
  std::vector<int32_t>& groups = w.groups;
  groups.resize(s.B);
  for (int64_t b = 0; b < s.B; ++b) groups[b] = static_cast<int32_t>(b / cfg.group_size);
  if (cfg.group_size < s.B) ro.groups.assign(groups.begin(), groups.end());
  const TrajectorySizes n = trajectory_sizes(*cfg.game, ro);
  Batch& t = w.t;  // the rollout writes every element
  t.obs.resize(n.obs);
  t.logp.resize(n.per_agent);
  t.entropy.resize(n.per_agent);
  t.rewards.resize(n.per_agent);
  t.actions.resize(n.per_agent);
  t.dones.resize(n.per_step);
  t.mask.resize(n.per_step);
  const int n_stats = cfg.game->stat_count();
  std::vector<int32_t>& stats = w.stats;
  stats.resize(static_cast<size_t>(s.B * n_stats));
  rollout(cfg.game, policies, ro,
          {t.obs.data(), t.actions.data(), t.logp.data(), t.entropy.data(), t.rewards.data(), t.dones.data(),
           t.mask.data(), n_stats ? stats.data() : nullptr});
  m.game_stats.assign(n_stats, 0.0);
  for (int64_t b = 0; b < s.B; ++b)
    for (int k = 0; k < n_stats; ++k) m.game_stats[k] += static_cast<double>(stats[b * n_stats + k]) / s.B;
}

// Critic of agent a: V over its observations (zero after the episode and at
// the end), GAE advantages against it into adv, the squared error's share of
// the loss added to critic_loss and its gradient added to w.critic_grad.
void critic_advantages(const TrainerConfig& cfg, const Shape& s, int64_t a, const std::vector<float>& critic_params,
                       const std::vector<float>& r, Workspace& w, double& critic_loss) {
  const Batch& t = w.t;
  const int64_t B = s.B, T = s.T, BT = s.BT, A = s.A;
  agent_obs(t, s, a, w.obs_a.data());
  std::vector<float>& v = w.v;
  std::vector<float>& cache = w.critic_cache;
  v.resize(BT);
  cache.resize(static_cast<size_t>(cfg.critic->cache_size(B, T)));
  cfg.critic->forward(critic_params.data(), w.obs_a.data(), B, T, v.data(), cache.data());
  std::vector<float>& values = w.values;
  std::vector<float>& dv = w.dv;
  values.assign(static_cast<size_t>(B * (T + 1)), 0.0f);
  dv.assign(BT, 0.0f);
  int64_t live = 0;
  for (int64_t i = 0; i < BT; ++i) live += t.mask[i];
  const std::vector<float>& ret = w.ret[a];
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < T; ++k) {
      const int64_t i = b * T + k;
      if (!t.mask[i]) continue;
      values[b * (T + 1) + k] = v[i];
      const double err = static_cast<double>(v[i]) - ret[i];
      critic_loss += err * err / std::max<int64_t>(1, live) / A;
      dv[i] = static_cast<float>(2.0 * err / std::max<int64_t>(1, live) / A);
    }
  credit::gae(r.data(), values.data(), w.adv[a].data(), B, T, cfg.gamma, cfg.lambda, s.threads);
  cfg.critic->backward(critic_params.data(), w.obs_a.data(), dv.data(), B, T, cache.data(), w.critic_grad.data());
}

// Every agent's returns and advantages (w.ret, w.adv), against the
// leave-one-out baseline or the critic, and for Advantage Alignment over past
// rewards every agent's one-step reward advantages (w.past). Returns the
// critic's loss (0 without one).
double advantages(const TrainerConfig& cfg, const Shape& s, const std::vector<float>& critic_params,
                  Workspace& w) {
  const int64_t B = s.B, T = s.T, BT = s.BT, A = s.A;
  w.adv.resize(A);
  w.ret.resize(A);
  w.obs_a.resize(static_cast<size_t>(BT * s.O));
  w.critic_grad.assign(critic_params.size(), 0.0f);
  double critic_loss = 0;
  const bool reward_past =
      cfg.algorithm == Algorithm::kAdvantageAlignment && cfg.aa_past == TrainerConfig::AaPast::kRewards;
  w.past.resize(reward_past ? A : 0);
  std::vector<float>& r = w.r;
  for (int64_t a = 0; a < A; ++a) {
    agent_rewards(w.t, s, a, r);
    w.ret[a].resize(BT);
    w.adv[a].resize(BT);
    if (reward_past) {
      w.past[a].resize(BT);
      credit::leave_one_out(r.data(), w.groups.data(), w.past[a].data(), B, T, s.threads);
    }
    if (cfg.baseline == Baseline::kLeaveOneOut) {
      leave_one_out_advantages(cfg, r.data(), w.groups.data(), B, T, w.ret[a].data(), w.adv[a].data());
      continue;
    }
    credit::discounted_returns(r.data(), w.ret[a].data(), B, T, cfg.gamma, s.threads);
    critic_advantages(cfg, s, a, critic_params, r, w, critic_loss);
  }
  return critic_loss;
}

// The credits of the learner's seats with their observations, actions,
// behaviour log-probabilities and mask, stacked seat-major into one training
// batch of seats.size() * BT rows (w.obs, w.credits, ...).
void stack_credits(const TrainerConfig& cfg, const Shape& s, const std::vector<int>& seats, Workspace& w) {
  const Batch& t = w.t;
  const int64_t BT = s.BT, A = s.A, S = static_cast<int64_t>(seats.size()), rows = S * BT;
  w.obs.resize(static_cast<size_t>(rows * s.O));
  w.credits.resize(rows);
  w.behavior.resize(rows);
  w.actions.resize(rows);
  w.mask.resize(rows);
  w.others.resize(BT);
  for (int64_t k = 0; k < S; ++k) {
    const int64_t a = seats[k];
    seat_credit(cfg, w.adv, w.past, a, s.B, s.T, w.others, w.credits.data() + k * BT);
    agent_obs(t, s, a, w.obs.data() + k * BT * s.O);
    for (int64_t i = 0; i < BT; ++i) {
      w.actions[k * BT + i] = t.actions[i * A + a];
      w.behavior[k * BT + i] = t.logp[i * A + a];
      w.mask[k * BT + i] = t.mask[i];
    }
  }
  if (cfg.whiten_credits) credit::whiten(w.credits.data(), w.credits.data(), S * s.B, s.T, false, 1e-8, s.threads);
}

// The policy update over the stacked batch of `sequences` episodes: forward,
// loss gradient, backward and Adam, cfg.epochs times; the first epoch's
// numbers go to m.
void policy_epochs(const TrainerConfig& cfg, const Shape& s, int64_t sequences, std::vector<float>& params, Adam& adam,
                   Workspace& w, IterationMetrics& m) {
  const int64_t rows = sequences * s.T, NA = cfg.model->actions();
  w.logits.resize(static_cast<size_t>(rows * NA));
  w.dlogits.resize(w.logits.size());
  w.cache.resize(static_cast<size_t>(cfg.model->cache_size(sequences, s.T)));
  w.grad.resize(params.size());
  for (int e = 0; e < cfg.epochs; ++e) {
    cfg.model->forward(params.data(), w.obs.data(), sequences, s.T, w.logits.data(), w.cache.data());
    const LossResult lr = policy_loss(w.logits.data(), rows, static_cast<int>(NA), w.actions.data(), w.credits.data(),
                                      w.mask.data(), w.behavior.data(), nullptr, nullptr, cfg.loss, w.dlogits.data(),
                                      s.threads);
    std::fill(w.grad.begin(), w.grad.end(), 0.0f);
    cfg.model->backward(params.data(), w.obs.data(), w.dlogits.data(), sequences, s.T, w.cache.data(), w.grad.data());
    const double norm = adam.step(params.data(), w.grad.data());
    if (e == 0) {
      m.policy_loss = lr.policy;
      m.entropy = lr.entropy;
      m.kl = lr.kl;
      m.clipped_fraction = lr.clipped_fraction;
      m.grad_norm = norm;
    }
  }
}

// Metrics of the batch that was played: mean returns, cooperation rates and
// the learner's mean absolute credit over `rows` stacked rows.
void batch_metrics(const Shape& s, const Workspace& w, int64_t rows, IterationMetrics& m) {
  const Batch& t = w.t;
  const int64_t A = s.A;
  m.mean_return.assign(A, 0.0);
  m.action0_rate.assign(A, 0.0);
  int64_t live = 0;
  for (int64_t i = 0; i < s.BT; ++i) {
    live += t.mask[i];
    for (int64_t a = 0; a < A; ++a) {
      m.mean_return[a] += t.rewards[i * A + a];
      if (t.mask[i] && t.actions[i * A + a] == 0) m.action0_rate[a] += 1;
    }
  }
  for (int64_t a = 0; a < A; ++a) {
    m.mean_return[a] /= s.B;
    m.action0_rate[a] /= std::max<int64_t>(1, live);
  }
  double abs_credit = 0;
  int64_t counted = 0;
  for (int64_t i = 0; i < rows; ++i)
    if (w.mask[i]) {
      abs_credit += std::fabs(w.credits[i]);
      ++counted;
    }
  m.credit_abs_mean = counted ? abs_credit / counted : 0;
}

}  // namespace stages
}  // namespace dilemma::learn
