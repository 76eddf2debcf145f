#include "env.hpp"

#include <algorithm>
#include <string>

#include "error.hpp"

namespace dilemma {

int64_t checked_elements(const char* what, std::initializer_list<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) throw Error(codes::kInvalidArgument, std::string(what) + " has a negative dimension");
    if (d != 0 && n > kMaxElements / d)
      throw Error(codes::kTooLarge, std::string(what) + " would exceed the limit of " +
                                        std::to_string(kMaxElements) + " elements; use a smaller batch or fewer steps");
    n *= d;
  }
  return n;
}

EnvBatch::EnvBatch(std::shared_ptr<const Game> game, int64_t batch, uint64_t seed, std::vector<uint32_t> streams)
    : game_(std::move(game)), batch_(batch), seed_(seed), stride_(game_->info().state_size) {
  if (batch < 1) throw Error(codes::kInvalidArgument, "batch must be at least 1");
  if (batch > limits::kMaxBatch) throw Error(codes::kTooLarge, "batch must be below 2^31");
  const GameInfo& g = game_->info();
  checked_elements("environment state", {batch, std::max(1, g.state_size)});
  checked_elements("observations", {batch, g.agents, g.obs_dim});
  if (!streams.empty() && static_cast<int64_t>(streams.size()) != batch)
    throw Error(codes::kInvalidArgument, "streams must have one entry per environment");
  restart(batch, streams.empty() ? nullptr : streams.data(), 0);
}

void EnvBatch::restart(int64_t batch, const uint32_t* streams, uint32_t first_stream) {
  const GameInfo& g = game_->info();
  batch_ = batch;
  stream_.resize(batch);
  for (int64_t b = 0; b < batch; ++b) stream_[b] = streams ? streams[b] : first_stream + static_cast<uint32_t>(b);
  episode_.assign(batch, 0);
  t_.assign(batch, 0);
  done_.assign(batch, 0);
  returns_.assign(batch * g.agents, 0.0f);
  state_.assign(batch * stride_, 0);
  game_->reset_range(range(0, batch));
}

void EnvBatch::reset(int64_t b0, int64_t b1) {
  const int agents = game_->info().agents;
  for (int64_t b = b0; b < b1; ++b) {
    ++episode_[b];
    t_[b] = 0;
    done_[b] = 0;
    std::fill_n(returns_.begin() + b * agents, agents, 0.0f);
  }
  game_->reset_range(range(b0, b1));
}

void EnvBatch::observe_agent(int64_t b, int agent, float* obs) const {
  game_->observe(state(b), t_[b], agent, obs);
}

void EnvBatch::observe(int64_t b0, int64_t b1, float* obs) const {
  const GameInfo& g = game_->info();
  observe(b0, b1, obs, static_cast<int64_t>(g.agents) * g.obs_dim, false);
}

void EnvBatch::observe(int64_t b0, int64_t b1, float* obs, int64_t row_stride, bool zero_finished) const {
  game_->observe_range(range(b0, b1, zero_finished), obs, row_stride);
  if (!zero_finished) return;
  const int64_t row = static_cast<int64_t>(game_->info().agents) * game_->info().obs_dim;
  for (int64_t b = b0; b < b1; ++b)
    if (done_[b]) std::fill_n(obs + b * row_stride, row, 0.0f);
}

void EnvBatch::check_actions(const int32_t* actions) const {
  const GameInfo& g = game_->info();
  const int64_t n = batch_ * g.agents;
  for (int64_t i = 0; i < n; ++i)
    if (actions[i] < 0 || actions[i] >= g.actions)
      throw Error(codes::kInvalidArgument, "actions[" + std::to_string(i) + "] = " + std::to_string(actions[i]) +
                                               " is outside [0, " + std::to_string(g.actions) + ") (environment " +
                                               std::to_string(i / g.agents) + ", agent " +
                                               std::to_string(i % g.agents) + ")");
}

void EnvBatch::step(int64_t b0, int64_t b1, const int32_t* actions, float* rewards, uint8_t* done, uint8_t* stepped,
                    int64_t stride) {
  const int agents = game_->info().agents;
  const int max_steps = game_->info().max_steps;
  if (stride == 0) stride = agents;
  // The game writes whether each live environment's episode ended into done;
  // the bookkeeping pass then turns that into the batch's done flags.
  game_->step_range(range(b0, b1, true), actions, stride, rewards, done);
  for (int64_t b = b0; b < b1; ++b) {
    float* r = rewards + b * stride;
    if (done_[b]) {
      std::fill_n(r, agents, 0.0f);
      done[b] = 1;
      if (stepped) stepped[b] = 0;
      continue;
    }
    ++t_[b];
    for (int a = 0; a < agents; ++a) returns_[b * agents + a] += r[a];
    done_[b] = done[b] || t_[b] >= max_steps;
    done[b] = done_[b];
    if (stepped) stepped[b] = 1;
  }
}

}  // namespace dilemma
