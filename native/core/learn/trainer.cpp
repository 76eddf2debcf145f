#include "trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "../env.hpp"
#include "../error.hpp"
#include "../rng.hpp"
#include "../rollout.hpp"
#include "trainer_config.hpp"
#include "trainer_stages.hpp"

namespace dilemma::learn {

namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(codes::kInvalidArgument, message);
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
  check_trainer_config(cfg_);
  steps_ = cfg_.steps == 0 ? g.max_steps : cfg_.steps;
  if (cfg_.group_size == 0) cfg_.group_size = cfg_.batch;
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
  IterationMetrics m;
  m.iteration = iteration_;
  const stages::Opponents opponents = stages::choose_opponents(cfg_, iteration_, buffer_, g.agents);
  m.buffer_opponent = opponents.snapshot != nullptr;
  if (fused_applies()) return iterate_fused(std::move(m), opponents.seats, opponents.snapshot);

  const stages::Shape s{cfg_.batch, steps_, g.agents, g.obs_dim, cfg_.batch * steps_, cfg_.threads};
  Workspace& w = *ws_;
  stages::play(cfg_, s, params_snapshot(), opponents.snapshot, iteration_seed(0), w, m);
  const double critic_loss = stages::advantages(cfg_, s, critic_params_, w);
  stages::stack_credits(cfg_, s, opponents.seats, w);
  const int64_t sequences = static_cast<int64_t>(opponents.seats.size()) * s.B;
  stages::apply_schedule(cfg_, iteration_, adam_, critic_adam_);
  stages::policy_epochs(cfg_, s, sequences, params_, adam_, w, m);
  if (cfg_.critic) {
    critic_adam_.step(critic_params_.data(), w.critic_grad.data());
    m.critic_loss = critic_loss;
  }
  stages::batch_metrics(s, w, sequences * s.T, m);
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

}  // namespace dilemma::learn
