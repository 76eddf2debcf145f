// A batch of environments of one game: per-environment bookkeeping (step
// counter, episode counter, done flag, returns) plus each game's flat state.
// Copying an EnvBatch clones every environment exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "game.hpp"
#include "limits.hpp"

namespace dilemma {

// Largest number of elements of one array the engine will allocate or accept.
inline constexpr int64_t kMaxElements = limits::kMaxElements;
// Multiplies sizes, throwing ERR_TOO_LARGE (naming what) past kMaxElements.
int64_t checked_elements(const char* what, std::initializer_list<int64_t> dims);

class EnvBatch {
 public:
  // streams: the random-number stream of each environment (environments that
  // share a stream see the same random events); empty means stream = index.
  EnvBatch(std::shared_ptr<const Game> game, int64_t batch, uint64_t seed, std::vector<uint32_t> streams = {});

  // Starts over with `batch` fresh environments (episode 0, as after
  // construction), reusing this batch's memory: environment b's stream is
  // streams[b], or first_stream + b when streams is null. For loops that run
  // a long batch one block of environments at a time.
  void restart(int64_t batch, const uint32_t* streams, uint32_t first_stream);

  const Game& game() const { return *game_; }
  const std::shared_ptr<const Game>& game_ptr() const { return game_; }
  int64_t batch() const { return batch_; }
  uint64_t seed() const { return seed_; }

  // Starts a new episode in environments [b0, b1).
  void reset(int64_t b0, int64_t b1);
  // obs: [batch, agents, obs_dim]; rows outside [b0, b1) are untouched.
  void observe(int64_t b0, int64_t b1, float* obs) const;
  // Environment b's rows go to obs + b * row_stride. Finished environments'
  // rows are zeroed when zero_finished, else observed like the others.
  void observe(int64_t b0, int64_t b1, float* obs, int64_t row_stride, bool zero_finished) const;
  void observe_agent(int64_t b, int agent, float* obs) const;
  // Environment b's joint action is at actions + b * stride and its rewards
  // go to rewards + b * stride (stride = agents for dense [batch, agents]);
  // done: [batch]. Finished environments stay finished: zero reward, done = 1,
  // no step taken. stepped (may be null) says whether environment b stepped.
  void step(int64_t b0, int64_t b1, const int32_t* actions, float* rewards, uint8_t* done, uint8_t* stepped,
            int64_t stride = 0);
  // Throws ERR_INVALID_ARGUMENT naming the first out-of-range action.
  void check_actions(const int32_t* actions) const;

  int32_t steps_taken(int64_t b) const { return t_[b]; }
  bool done(int64_t b) const { return done_[b] != 0; }
  const int32_t* state(int64_t b) const { return state_.data() + b * stride_; }
  const float* returns() const { return returns_.data(); }  // [batch, agents] this episode
  // The range view the game's range entry points take. done is set only
  // when finished environments are to be skipped.
  EnvRange range(int64_t b0, int64_t b1, bool skip_finished = false) const {
    return EnvRange{b0,         b1,   const_cast<int32_t*>(state_.data()), stride_, t_.data(),
                    skip_finished ? done_.data() : nullptr, seed_, stream_.data(), episode_.data()};
  }

 private:
  EnvDraw draw(int64_t b) const { return EnvDraw{seed_, stream_[b], episode_[b], static_cast<uint32_t>(t_[b])}; }

  std::shared_ptr<const Game> game_;
  int64_t batch_;
  uint64_t seed_;
  int stride_;
  std::vector<uint32_t> stream_;
  std::vector<uint32_t> episode_;
  std::vector<int32_t> t_;
  std::vector<uint8_t> done_;
  std::vector<float> returns_;
  std::vector<int32_t> state_;
};

}  // namespace dilemma
