#include "trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "../credit.hpp"
#include "../env.hpp"
#include "../error.hpp"
#include "../rng.hpp"
#include "../rollout.hpp"
#include "model_policy.hpp"
#include "trainer_stages.hpp"

namespace dilemma::learn {

namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(codes::kInvalidArgument, message);
}

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

}  // namespace

Trainer::Trainer(TrainerConfig c)
    : cfg_(std::move(c)), adam_(0, cfg_.adam), critic_adam_(0, cfg_.critic_adam), ws_(std::make_shared<Workspace>()) {
  require(cfg_.game && cfg_.model, "the trainer needs a game and a model");
  const GameInfo& g = cfg_.game->info();
  require(g.agents >= 2, "training needs a game of at least two agents");
  require(cfg_.model->obs_dim() == g.obs_dim,
          "policy.obsDim " + std::to_string(cfg_.model->obs_dim()) + " differs from the game's " + std::to_string(g.obs_dim));
  require(cfg_.model->actions() == g.actions,
          "policy.actions " + std::to_string(cfg_.model->actions()) + " differs from the game's " + std::to_string(g.actions));
  require(cfg_.batch >= 1, "batch must be at least 1");
  require(cfg_.steps >= 0, "steps must be at least 1");
  steps_ = cfg_.steps == 0 ? g.max_steps : cfg_.steps;
  if (cfg_.group_size == 0) cfg_.group_size = cfg_.batch;
  require(cfg_.group_size >= 1 && cfg_.group_size <= cfg_.batch, "groupSize must be in [1, batch]");
  require(cfg_.gamma >= 0 && cfg_.gamma <= 1, "gamma must be in [0, 1]");
  require(cfg_.lambda >= 0 && cfg_.lambda <= 1, "lambda must be in [0, 1]");
  require(std::isfinite(cfg_.beta), "beta must be finite");
  require(cfg_.epochs >= 1, "epochs must be at least 1");
  require(cfg_.buffer_probability >= 0 && cfg_.buffer_probability <= 1, "bufferProbability must be in [0, 1]");
  require(cfg_.buffer_size >= 0 && cfg_.snapshot_every >= 1, "bufferSize must be >= 0 and snapshotEvery >= 1");
  require(cfg_.temperature > 0 && std::isfinite(cfg_.temperature), "temperature must be above 0");
  if (cfg_.baseline == Baseline::kCritic) {
    require(cfg_.critic != nullptr, "a critic baseline needs a critic model");
    require(cfg_.critic->obs_dim() == g.obs_dim && cfg_.critic->actions() == 1,
            "the critic must map the game's observations to one value");
  }
  trajectory_sizes(*cfg_.game, RolloutOptions{cfg_.batch, steps_, 0, {}, 1});
  params_.resize(static_cast<size_t>(cfg_.model->num_params()));
  cfg_.model->init(params_.data(), iteration_seed(1));
  adam_ = Adam(cfg_.model->num_params(), cfg_.adam);
  if (cfg_.critic) {
    critic_params_.resize(static_cast<size_t>(cfg_.critic->num_params()));
    cfg_.critic->init(critic_params_.data(), iteration_seed(2));
    critic_adam_ = Adam(cfg_.critic->num_params(), cfg_.critic_adam);
  }
}

// A 64-bit seed for one purpose of the current iteration.
uint64_t Trainer::iteration_seed(uint32_t purpose) const {
  const auto r = rng::philox4x32(cfg_.seed, static_cast<uint32_t>(iteration_), static_cast<uint32_t>(iteration_ >> 32),
                                 purpose, rng::kInit << 24);
  return (static_cast<uint64_t>(r.v[1]) << 32) | r.v[0];
}

std::shared_ptr<const std::vector<float>> Trainer::params_snapshot() const {
  return std::make_shared<const std::vector<float>>(params_);
}

IterationMetrics Trainer::iterate() {
  const GameInfo& g = cfg_.game->info();
  const int64_t B = cfg_.batch, T = steps_, A = g.agents, O = g.obs_dim, BT = B * T;
  const int threads = cfg_.threads;
  IterationMetrics m;
  m.iteration = iteration_;

  // Opponents: the current policy in every seat, or a past snapshot in the
  // other seats (the learner then holds seat 0 only).
  std::vector<int> seats;
  const std::vector<float>* opponent = nullptr;
  const float u_buffer = rng::uniform(cfg_.seed, static_cast<uint32_t>(iteration_), 0, 0, rng::kInit, 3);
  const float u_pick = rng::uniform(cfg_.seed, static_cast<uint32_t>(iteration_), 0, 0, rng::kInit, 4);
  m.buffer_opponent = !buffer_.empty() && u_buffer < cfg_.buffer_probability;
  if (m.buffer_opponent) {
    opponent = &buffer_[std::min(buffer_.size() - 1, static_cast<size_t>(u_pick * buffer_.size()))];
    seats = {0};
  } else {
    for (int a = 0; a < A; ++a) seats.push_back(a);
  }

  if (fused_applies()) return iterate_fused(std::move(m), seats, opponent);

  // The general path plays policy objects: the learner's parameters in its
  // seats, a snapshot's in the others.
  auto learner = make_model_policy(cfg_.model, params_snapshot(), "learner");
  std::vector<std::shared_ptr<const Policy>> policies(A, learner);
  if (opponent) {
    auto past = make_model_policy(cfg_.model, std::make_shared<const std::vector<float>>(*opponent), "snapshot");
    for (int64_t a = 1; a < A; ++a) policies[a] = past;
  }

  RolloutOptions ro;
  ro.batch = B;
  ro.steps = static_cast<int>(T);
  ro.seed = iteration_seed(0);
  ro.threads = threads;
  ro.temperature = cfg_.temperature;
  Workspace& w = *ws_;
  std::vector<int32_t>& groups = w.groups;
  groups.resize(B);
  for (int64_t b = 0; b < B; ++b) groups[b] = static_cast<int32_t>(b / cfg_.group_size);
  if (cfg_.group_size < B) ro.groups.assign(groups.begin(), groups.end());
  const TrajectorySizes n = trajectory_sizes(*cfg_.game, ro);
  Batch& t = w.t;  // the rollout writes every element
  t.obs.resize(n.obs);
  t.logp.resize(n.per_agent);
  t.entropy.resize(n.per_agent);
  t.rewards.resize(n.per_agent);
  t.actions.resize(n.per_agent);
  t.dones.resize(n.per_step);
  t.mask.resize(n.per_step);
  const int n_stats = cfg_.game->stat_count();
  std::vector<int32_t>& stats = w.stats;
  stats.resize(static_cast<size_t>(B * n_stats));
  rollout(cfg_.game, policies, ro,
          {t.obs.data(), t.actions.data(), t.logp.data(), t.entropy.data(), t.rewards.data(), t.dones.data(),
           t.mask.data(), n_stats ? stats.data() : nullptr});
  m.game_stats.assign(n_stats, 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int k = 0; k < n_stats; ++k) m.game_stats[k] += static_cast<double>(stats[b * n_stats + k]) / B;

  // Per agent: rewards [B, T], observations [B, T, O], then returns and advantages.
  auto agent_rewards = [&](int64_t a, std::vector<float>& r) {
    r.resize(BT);
    for (int64_t i = 0; i < BT; ++i) r[i] = t.rewards[i * A + a];
  };
  auto agent_obs = [&](int64_t a, float* out) {
    for (int64_t i = 0; i < BT; ++i) std::memcpy(out + i * O, t.obs.data() + (i * A + a) * O, sizeof(float) * O);
  };
  std::vector<std::vector<float>>& adv = w.adv;
  std::vector<std::vector<float>>& ret = w.ret;
  adv.resize(A);
  ret.resize(A);
  std::vector<float>& obs_a = w.obs_a;
  obs_a.resize(static_cast<size_t>(BT * O));
  double critic_loss = 0;
  std::vector<float>& critic_grad = w.critic_grad;
  critic_grad.assign(critic_params_.size(), 0.0f);
  std::vector<float>& r = w.r;
  const bool reward_past =
      cfg_.algorithm == Algorithm::kAdvantageAlignment && cfg_.aa_past == TrainerConfig::AaPast::kRewards;
  std::vector<std::vector<float>>& past = w.past;
  past.resize(reward_past ? A : 0);
  for (int64_t a = 0; a < A; ++a) {
    agent_rewards(a, r);
    ret[a].resize(BT);
    adv[a].resize(BT);
    if (reward_past) {
      past[a].resize(BT);
      credit::leave_one_out(r.data(), groups.data(), past[a].data(), B, T, threads);
    }
    if (cfg_.baseline == Baseline::kLeaveOneOut) {
      leave_one_out_advantages(cfg_, r.data(), groups.data(), B, T, ret[a].data(), adv[a].data());
      continue;
    }
    credit::discounted_returns(r.data(), ret[a].data(), B, T, cfg_.gamma, threads);
    // Critic: V over the agent's observations, zero after the episode and at the end.
    agent_obs(a, obs_a.data());
    std::vector<float>& v = w.v;
    std::vector<float>& cache = w.critic_cache;
    v.resize(BT);
    cache.resize(static_cast<size_t>(cfg_.critic->cache_size(B, T)));
    cfg_.critic->forward(critic_params_.data(), obs_a.data(), B, T, v.data(), cache.data());
    std::vector<float>& values = w.values;
    std::vector<float>& dv = w.dv;
    values.assign(static_cast<size_t>(B * (T + 1)), 0.0f);
    dv.assign(BT, 0.0f);
    int64_t live = 0;
    for (int64_t i = 0; i < BT; ++i) live += t.mask[i];
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < T; ++s) {
        const int64_t i = b * T + s;
        if (!t.mask[i]) continue;
        values[b * (T + 1) + s] = v[i];
        const double err = static_cast<double>(v[i]) - ret[a][i];
        critic_loss += err * err / std::max<int64_t>(1, live) / A;
        dv[i] = static_cast<float>(2.0 * err / std::max<int64_t>(1, live) / A);
      }
    credit::gae(r.data(), values.data(), adv[a].data(), B, T, cfg_.gamma, cfg_.lambda, threads);
    cfg_.critic->backward(critic_params_.data(), obs_a.data(), dv.data(), B, T, cache.data(), critic_grad.data());
  }

  // Credits of the learner's seats, stacked seat-major into one training batch.
  const int64_t S = static_cast<int64_t>(seats.size()), rows = S * BT;
  std::vector<float>& obs = w.obs;
  std::vector<float>& credits = w.credits;
  std::vector<float>& behavior = w.behavior;
  std::vector<int32_t>& actions = w.actions;
  std::vector<uint8_t>& mask = w.mask;
  std::vector<float>& others = w.others;
  obs.resize(static_cast<size_t>(rows * O));
  credits.resize(rows);
  behavior.resize(rows);
  actions.resize(rows);
  mask.resize(rows);
  others.resize(BT);
  for (int64_t k = 0; k < S; ++k) {
    const int64_t a = seats[k];
    seat_credit(cfg_, adv, past, a, B, T, others, credits.data() + k * BT);
    agent_obs(a, obs.data() + k * BT * O);
    for (int64_t i = 0; i < BT; ++i) {
      actions[k * BT + i] = t.actions[i * A + a];
      behavior[k * BT + i] = t.logp[i * A + a];
      mask[k * BT + i] = t.mask[i];
    }
  }
  if (cfg_.whiten_credits) credit::whiten(credits.data(), credits.data(), S * B, T, false, 1e-8, threads);

  // Policy update: forward, loss gradient, backward, Adam (epochs passes).
  const int64_t NA = g.actions;
  std::vector<float>& logits = w.logits;
  std::vector<float>& dlogits = w.dlogits;
  std::vector<float>& cache = w.cache;
  std::vector<float>& grad = w.grad;
  logits.resize(static_cast<size_t>(rows * NA));
  dlogits.resize(logits.size());
  cache.resize(static_cast<size_t>(cfg_.model->cache_size(S * B, T)));
  grad.resize(params_.size());
  stages::apply_schedule(cfg_, iteration_, adam_, critic_adam_);
  for (int e = 0; e < cfg_.epochs; ++e) {
    cfg_.model->forward(params_.data(), obs.data(), S * B, T, logits.data(), cache.data());
    const LossResult lr = policy_loss(logits.data(), rows, static_cast<int>(NA), actions.data(), credits.data(),
                                      mask.data(), behavior.data(), nullptr, nullptr, cfg_.loss, dlogits.data(), threads);
    std::fill(grad.begin(), grad.end(), 0.0f);
    cfg_.model->backward(params_.data(), obs.data(), dlogits.data(), S * B, T, cache.data(), grad.data());
    const double norm = adam_.step(params_.data(), grad.data());
    if (e == 0) {
      m.policy_loss = lr.policy;
      m.entropy = lr.entropy;
      m.kl = lr.kl;
      m.clipped_fraction = lr.clipped_fraction;
      m.grad_norm = norm;
    }
  }
  if (cfg_.critic) {
    critic_adam_.step(critic_params_.data(), critic_grad.data());
    m.critic_loss = critic_loss;
  }

  // Metrics of the batch that was played.
  m.mean_return.assign(A, 0.0);
  m.action0_rate.assign(A, 0.0);
  int64_t live = 0;
  for (int64_t i = 0; i < BT; ++i) {
    live += t.mask[i];
    for (int64_t a = 0; a < A; ++a) {
      m.mean_return[a] += t.rewards[i * A + a];
      if (t.mask[i] && t.actions[i * A + a] == 0) m.action0_rate[a] += 1;
    }
  }
  for (int64_t a = 0; a < A; ++a) {
    m.mean_return[a] /= B;
    m.action0_rate[a] /= std::max<int64_t>(1, live);
  }
  double abs_credit = 0;
  int64_t counted = 0;
  for (int64_t i = 0; i < rows; ++i)
    if (mask[i]) {
      abs_credit += std::fabs(credits[i]);
      ++counted;
    }
  m.credit_abs_mean = counted ? abs_credit / counted : 0;

  advance(m);
  return m;
}

FitMetrics Trainer::fit_actions(const float* obs, const int32_t* actions, const uint8_t* mask, int64_t B, int64_t T) {
  require(obs && actions, "fitActions needs observations and actions");
  require(B >= 1 && T >= 1, "fitActions needs at least one sequence of at least one step");
  const int64_t rows = B * T, NA = cfg_.model->actions();
  std::vector<float> logits(static_cast<size_t>(rows * NA)), cache(static_cast<size_t>(cfg_.model->cache_size(B, T)));
  cfg_.model->forward(params_.data(), obs, B, T, logits.data(), cache.data());
  // Credit 1 and no behaviour log-probabilities: the REINFORCE gradient is
  // then exactly the cross-entropy gradient, -(onehot(a) - softmax(z)) / N.
  const std::vector<float> ones(static_cast<size_t>(rows), 1.0f);
  LossTerms terms;
  terms.objective = LossObjective::kReinforce;
  terms.normalize = LossNormalize::kMask;
  const LossResult lr = policy_loss(logits.data(), rows, static_cast<int>(NA), actions, ones.data(), mask, nullptr,
                                    nullptr, nullptr, terms, logits.data(), cfg_.threads);
  std::vector<float> grad(params_.size(), 0.0f);
  cfg_.model->backward(params_.data(), obs, logits.data(), B, T, cache.data(), grad.data());
  FitMetrics f;
  f.loss = lr.policy;
  f.live_rows = lr.live_rows;
  f.grad_norm = lr.live_rows > 0 ? adam_.step(params_.data(), grad.data()) : 0.0;
  return f;
}

void Trainer::advance(IterationMetrics& m) {
  ++iteration_;
  if (cfg_.buffer_size > 0 && iteration_ % cfg_.snapshot_every == 0) {
    buffer_.push_back(params_);
    if (static_cast<int>(buffer_.size()) > cfg_.buffer_size) buffer_.erase(buffer_.begin());
  }
  m.buffer_size = static_cast<int>(buffer_.size());
}

TrainerState Trainer::state() const {
  TrainerState s;
  s.iteration = iteration_;
  s.params = params_;
  s.adam_m = adam_.m();
  s.adam_v = adam_.v();
  s.adam_t = adam_.steps();
  s.critic_params = critic_params_;
  if (cfg_.critic) {
    s.critic_m = critic_adam_.m();
    s.critic_v = critic_adam_.v();
    s.critic_t = critic_adam_.steps();
  }
  s.buffer = buffer_;
  return s;
}

void Trainer::restore(const TrainerState& s) {
  const size_t np = params_.size(), nc = critic_params_.size();
  require(s.iteration >= 0, "state.iteration must be >= 0");
  require(s.params.size() == np && s.adam_m.size() == np && s.adam_v.size() == np,
          "state parameters do not match the model (" + std::to_string(np) + " values)");
  require(s.critic_params.size() == nc && (nc == 0 || (s.critic_m.size() == nc && s.critic_v.size() == nc)),
          "state critic parameters do not match the critic (" + std::to_string(nc) + " values)");
  require(static_cast<int>(s.buffer.size()) <= std::max(cfg_.buffer_size, 0), "state.buffer holds more snapshots than bufferSize");
  for (const auto& p : s.buffer) require(p.size() == np, "a buffer snapshot does not match the model");
  for (float x : s.params) require(std::isfinite(x), "state parameters must be finite");
  // Moments and snapshots are checked too: a NaN or a negative second moment
  // would train into non-finite parameters and an unresumable checkpoint.
  const auto all_finite = [](const std::vector<float>& v) { return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); }); };
  const auto all_moments = [](const std::vector<float>& v) { return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x) && x >= 0.0f; }); };
  require(all_finite(s.adam_m) && all_finite(s.critic_params) && all_finite(s.critic_m), "state optimizer moments and critic parameters must be finite");
  require(all_moments(s.adam_v) && all_moments(s.critic_v), "state second moments (adamV, criticV) must be finite and >= 0");
  require(s.adam_t >= 0 && s.critic_t >= 0, "state step counts (adamT, criticT) must be >= 0");
  for (const auto& p : s.buffer) require(all_finite(p), "state buffer snapshots must be finite");
  iteration_ = s.iteration;
  params_ = s.params;
  adam_.m() = s.adam_m;
  adam_.v() = s.adam_v;
  adam_.set_steps(s.adam_t);
  critic_params_ = s.critic_params;
  if (cfg_.critic) {
    critic_adam_.m() = s.critic_m;
    critic_adam_.v() = s.critic_v;
    critic_adam_.set_steps(s.critic_t);
  }
  buffer_ = s.buffer;
}

namespace stages {

void apply_schedule(const TrainerConfig& cfg, int64_t iteration, Adam& adam, Adam& critic_adam) {
  if (cfg.schedule != TrainerConfig::Schedule::kLinear || cfg.iterations <= 0) return;
  const double left = std::max(0.0, 1.0 - static_cast<double>(iteration) / static_cast<double>(cfg.iterations));
  adam.set_lr(static_cast<float>(cfg.adam.lr * left));
  critic_adam.set_lr(static_cast<float>(cfg.critic_adam.lr * left));
}

}  // namespace stages
}  // namespace dilemma::learn
