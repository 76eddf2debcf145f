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
  if (batch > (int64_t{1} << 31) - 1) throw Error(codes::kTooLarge, "batch must be below 2^31");
  const GameInfo& g = game_->info();
  checked_elements("environment state", {batch, std::max(1, g.state_size)});
  checked_elements("observations", {batch, g.agents, g.obs_dim});
  if (streams.empty()) {
    stream_.resize(batch);
    for (int64_t b = 0; b < batch; ++b) stream_[b] = static_cast<uint32_t>(b);
  } else {
    if (static_cast<int64_t>(streams.size()) != batch)
      throw Error(codes::kInvalidArgument, "streams must have one entry per environment");
    stream_ = std::move(streams);
  }
  episode_.assign(batch, 0);
  t_.assign(batch, 0);
  done_.assign(batch, 0);
  returns_.assign(batch * g.agents, 0.0f);
  state_.assign(batch * stride_, 0);
  for (int64_t b = 0; b < batch; ++b) game_->reset(state_.data() + b * stride_, draw(b));
}

void EnvBatch::reset(int64_t b0, int64_t b1) {
  const int agents = game_->info().agents;
  for (int64_t b = b0; b < b1; ++b) {
    ++episode_[b];
    t_[b] = 0;
    done_[b] = 0;
    std::fill_n(returns_.begin() + b * agents, agents, 0.0f);
    game_->reset(state_.data() + b * stride_, draw(b));
  }
}

void EnvBatch::observe_agent(int64_t b, int agent, float* obs) const {
  game_->observe(state(b), t_[b], agent, obs);
}

void EnvBatch::observe(int64_t b0, int64_t b1, float* obs) const {
  const GameInfo& g = game_->info();
  for (int64_t b = b0; b < b1; ++b)
    for (int a = 0; a < g.agents; ++a) observe_agent(b, a, obs + (b * g.agents + a) * g.obs_dim);
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
  if (stride == 0) stride = agents;
  for (int64_t b = b0; b < b1; ++b) {
    float* r = rewards + b * stride;
    if (done_[b]) {
      std::fill_n(r, agents, 0.0f);
      done[b] = 1;
      if (stepped) stepped[b] = 0;
      continue;
    }
    const bool ended = game_->step(state_.data() + b * stride_, t_[b], actions + b * stride, r, draw(b));
    ++t_[b];
    for (int a = 0; a < agents; ++a) returns_[b * agents + a] += r[a];
    done_[b] = ended || t_[b] >= game_->info().max_steps;
    done[b] = done_[b];
    if (stepped) stepped[b] = 1;
  }
}

}  // namespace dilemma
