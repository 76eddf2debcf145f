// A game is parameters plus a pure step over a flat int32 state. Games step
// a range of environments per call (the range entry points); the defaults
// loop over the per-environment functions, which every game writes and which
// stay the reference the range versions are tested against. Bookkeeping
// (step counters, done flags, returns) and the draw keys live in EnvBatch,
// so each game only writes its rules.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "games/matrix_rules.hpp"
#include "params.hpp"
#include "rng.hpp"

namespace dilemma {

struct GameInfo {
  std::string id;
  int agents = 0;
  int obs_dim = 0;
  int actions = 0;
  int max_steps = 0;   // upper bound on an episode's length
  int state_size = 0;  // int32 values per environment
};

// A named run of values: observation floats or action indices
// [offset, offset + size).
struct LayoutField {
  std::string name;
  int offset = 0;
  int size = 0;
  std::string doc;
};

// A public fact of a game's rules (which hand beats which, what a coin is
// worth), as numbers, labels or both, so that callers read the rule from the
// game instead of writing it a second time.
struct GameFact {
  std::string name;
  std::vector<double> numbers;
  std::vector<std::string> labels;
  std::string doc;
};

// What a game's observations and actions mean, for callers that read them by
// name (the text mode, metrics). Fields are in offset order and do not
// overlap; a game that describes nothing leaves the lists empty.
struct GameLayout {
  std::vector<LayoutField> observation;
  std::vector<LayoutField> actions;
  std::vector<GameFact> facts;
};

// A two-action view of the last round from one agent's side, for scripted
// strategies: -1 before the first round, 0 = cooperated, 1 = defected.
struct LastMoves {
  int own = -1;
  int other = -1;
};

// The environment's random numbers for one step of one environment.
struct EnvDraw {
  uint64_t seed;
  uint32_t stream;
  uint32_t episode;
  uint32_t step;
  float uniform(uint32_t slot) const { return rng::uniform(seed, stream, episode, step, rng::kEnv, slot); }
};

// Environments [b0, b1) of a batch, struct-of-arrays and indexed by b:
// environment b's state is at state + b * state_size, it has taken t[b]
// steps, and its draws are keyed (seed, stream[b], episode[b], t[b]).
// done (may be null) marks finished environments, which observe_range and
// step_range leave alone.
struct EnvRange {
  int64_t b0, b1;
  int32_t* state;
  int state_size;
  const int32_t* t;
  const uint8_t* done;
  uint64_t seed;
  const uint32_t* stream;
  const uint32_t* episode;
  int32_t* at(int64_t b) const { return state + b * state_size; }
  EnvDraw draw(int64_t b) const { return EnvDraw{seed, stream[b], episode[b], static_cast<uint32_t>(t[b])}; }
  bool finished(int64_t b) const { return done != nullptr && done[b] != 0; }
};

class Game {
 public:
  virtual ~Game() = default;
  const GameInfo& info() const { return info_; }

  virtual void reset(int32_t* state, const EnvDraw& draw) const = 0;
  // Writes agent's observation (obs_dim floats) of the state reached after t steps.
  virtual void observe(const int32_t* state, int t, int agent, float* obs) const = 0;
  // Applies one joint action (agents ints) taken at step t; writes rewards
  // (agents floats) and returns true when the episode ends with this step.
  virtual bool step(int32_t* state, int t, const int32_t* actions, float* rewards, const EnvDraw& draw) const = 0;

  // The range entry points. reset_range starts every environment of the
  // range (t[b] = 0). observe_range writes agent a's observation of
  // environment b to obs + b * obs_stride + a * obs_dim. step_range plays
  // the joint action at actions + b * stride, writes the rewards to
  // rewards + b * stride and ended[b] (the episode ends with this step).
  virtual void reset_range(const EnvRange& r) const;
  virtual void observe_range(const EnvRange& r, float* obs, int64_t obs_stride) const;
  virtual void step_range(const EnvRange& r, const int32_t* actions, int64_t stride, float* rewards,
                          uint8_t* ended) const;
  // last_moves of agent for every environment of the range, to own[b - b0]
  // and other[b - b0] (two-action games only).
  virtual void last_moves_range(const EnvRange& r, int agent, int8_t* own, int8_t* other) const;

  // Legal actions of agent in the state reached after t steps (mask of
  // `actions` flags). Games where every action is always legal skip this.
  virtual bool has_illegal_actions() const { return false; }
  virtual void legal_actions(const int32_t* state, int t, int agent, uint8_t* mask) const;

  // Two-action games let scripted strategies play them.
  virtual bool two_action() const { return false; }
  virtual LastMoves last_moves(const int32_t* state, int t, int agent) const;
  virtual int cooperate_action() const { return 0; }
  virtual int defect_action() const { return 1; }
  // One-shot payoffs for agent (own and other's side) in the order CC, CD, DC,
  // DD from agent's point of view; false when the game has no such table.
  virtual bool payoff_table(int agent, double own[4], double other[4]) const;

  // Iterated 2x2 games expose their rules, so that fused loops (the
  // trainer's matrix-game path, the CUDA rollout kernel) can run them
  // without a call per environment; history receives the remembered rounds.
  // Null for every other game.
  virtual const matrix::Rules* matrix_rules(int* /*history*/) const { return nullptr; }

  // Game statistics: named counters kept in the state (e.g. coins picked up
  // this episode), for metrics. stats writes stat_count() values in the order
  // of stat_names(). A game whose counters lie side by side in its state
  // names them once with declare_stats; games without statistics declare none.
  virtual int stat_count() const { return static_cast<int>(stat_names_.size()); }
  virtual std::vector<std::string> stat_names() const { return stat_names_; }
  virtual void stats(const int32_t* state, int32_t* out) const {
    for (size_t i = 0; i < stat_names_.size(); ++i) out[i] = state[stat_offset_ + i];
  }

  // Named observation fields, action ranges and public facts; games that
  // describe nothing keep this default.
  virtual GameLayout layout() const { return {}; }

 protected:
  GameInfo info_;
  // The statistics are the state values [offset, offset + names.size()).
  void declare_stats(int offset, std::vector<std::string> names) {
    stat_offset_ = offset;
    stat_names_ = std::move(names);
  }

 private:
  int stat_offset_ = 0;
  std::vector<std::string> stat_names_;
};

std::shared_ptr<const Game> make_game(const std::string& id, const Params& params);
// Registered game ids, sorted.
const std::vector<std::string>& game_ids();
// A registered game's parameter specs (throws ERR_UNKNOWN_GAME for others).
const ParamSpecs& game_params(const std::string& id);
// A registered game in one line, for help text and generated docs.
std::string game_doc(const std::string& id);

// A game registers itself in its own file with a namespace-scope registrar:
//   const GameRegistrar registrar("my-game", "a one-line doc", specs, make_game_of<MyGame>);
// Its constructor runs during static initialisation; every build links each
// game's object file whole (an object library in CMake, the addon's own
// sources in node-gyp), so no registrar is dropped by the linker.
class GameRegistrar {
 public:
  using Factory = std::shared_ptr<const Game> (*)(const Params&);
  struct Entry {
    std::string id;
    std::string doc;
    const ParamSpecs& (*params)();
    Factory make;
  };
  GameRegistrar(const char* id, const char* doc, const ParamSpecs& (*params)(), Factory make);
};

// The usual factory: the game's constructor reads and checks its parameters.
template <class G>
std::shared_ptr<const Game> make_game_of(const Params& params) {
  return std::make_shared<G>(params);
}

// Episode length in rounds, shared by every game (its default differs).
ParamSpec rounds_param(int fallback, std::string doc);

}  // namespace dilemma
