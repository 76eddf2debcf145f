// Iterated 2x2 games with simultaneous moves. Action 0 is "cooperate" (or the
// first named move of a preset), action 1 is "defect".
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "../game.hpp"
#include "matrix_rules.hpp"

namespace dilemma {
namespace {

// payoffs[2 * joint + player], joint = 2 * a0 + a1.
using Table = std::array<double, 8>;

// In the order the preset choice lists them.
const std::vector<std::pair<std::string, Table>>& presets() {
  static const std::vector<std::pair<std::string, Table>> table = {
      {"prisoners-dilemma", {3, 3, 0, 5, 5, 0, 1, 1}},
      {"stag-hunt", {4, 4, 0, 3, 3, 0, 2, 2}},
      {"chicken", {3, 3, 1, 5, 5, 1, 0, 0}},
      {"battle-of-the-sexes", {3, 2, 0, 0, 0, 0, 2, 3}},
      {"matching-pennies", {1, -1, -1, 1, -1, 1, 1, -1}},
  };
  return table;
}

using matrix::kSlot;

// The matrix game's parameters; 'ipd' takes the same less preset and payoffs.
const ParamSpecs& specs() {
  static const ParamSpecs s = [] {
    std::vector<std::string> names;
    for (const auto& [name, t] : presets()) names.push_back(name);
    return ParamSpecs{
        ParamSpec::choice("preset", "prisoners-dilemma", names,
                          "Named payoff table (prisoners-dilemma: CC 3/3, CD 0/5, DC 5/0, DD 1/1). Exclusive with payoffs."),
        ParamSpec::numbers("payoffs", 8,
                           "Payoff table as 8 numbers: for the joint moves (0,0), (0,1), (1,0), (1,1) (agent 0's move "
                           "first), agent 0's then agent 1's payoff. Exclusive with preset."),
        rounds_param(10, "Rounds per episode (the cap when continuation < 1)."),
        ParamSpec::number("continuation", 1.0, 0.0, 1.0,
                          "Probability that another round follows each round (1: fixed length)."),
        ParamSpec::number("noise", 0.0, 0.0, 0.5, "Probability that each executed move is flipped."),
        ParamSpec::integer("history", 1, 1, matrix::kMaxHistory,
                           "Rounds remembered in the observation (5 one-hot values each)."),
    };
  }();
  return s;
}

class MatrixGame final : public Game {
 public:
  MatrixGame(const Params& p, const std::string& id) {
    const ParamSpecs& s = specs();
    const bool has_table = p.has("payoffs");
    if (has_table && p.has("preset"))
      throw Error(codes::kInvalidParam, p.owner() + ".preset and " + p.owner() + ".payoffs are exclusive: give one");
    const std::string preset = p.choice(spec_of(s, "preset"));
    if (!has_table) {
      for (const auto& [name, t] : presets())
        if (name == preset) table_ = t;
    } else {
      const auto v = p.numbers(spec_of(s, "payoffs"));
      for (int i = 0; i < 8; ++i) table_[i] = v[i];
    }
    rounds_ = p.integer(spec_of(s, "rounds"));
    continuation_ = p.number(spec_of(s, "continuation"));
    noise_ = p.number(spec_of(s, "noise"));
    history_ = p.integer(spec_of(s, "history"));
    info_ = GameInfo{id, 2, kSlot * history_, 2, rounds_, history_};
    for (int i = 0; i < 8; ++i) rules_.rewards[i] = static_cast<float>(table_[i]);
    rules_.noise = noise_;
    rules_.continuation = continuation_;
    rules_.rounds = rounds_;
  }

  void reset(int32_t* s, const EnvDraw&) const override { matrix::reset(s, history_); }

  void observe(const int32_t* s, int, int agent, float* obs) const override {
    matrix::observe(s, history_, agent, obs);
  }

  bool step(int32_t* s, int t, const int32_t* actions, float* rewards, const EnvDraw& draw) const override {
    return matrix::step(rules_, s, history_, t, actions[0], actions[1], rewards,
                        matrix::DrawKey{draw.seed, draw.stream, draw.episode, draw.step});
  }

  // The range versions run the same rules (matrix_rules.hpp) in one loop,
  // with no call per environment.
  void reset_range(const EnvRange& r) const override {
    for (int64_t b = r.b0; b < r.b1; ++b) matrix::reset(r.at(b), history_);
  }

  void observe_range(const EnvRange& r, float* obs, int64_t obs_stride) const override {
    const int dim = kSlot * history_;
    for (int64_t b = r.b0; b < r.b1; ++b) {
      if (r.finished(b)) continue;
      const int32_t* s = r.at(b);
      float* row = obs + b * obs_stride;
      for (int i = 0; i < 2 * dim; ++i) row[i] = 0.0f;
      for (int k = 0; k < history_; ++k) {
        row[k * kSlot + matrix::observation_index(s[k], 0)] = 1.0f;
        row[dim + k * kSlot + matrix::observation_index(s[k], 1)] = 1.0f;
      }
    }
  }

  void step_range(const EnvRange& r, const int32_t* actions, int64_t stride, float* rewards,
                  uint8_t* ended) const override {
    for (int64_t b = r.b0; b < r.b1; ++b) {
      if (r.finished(b)) continue;
      const int32_t* a = actions + b * stride;
      ended[b] = matrix::step(rules_, r.at(b), history_, r.t[b], a[0], a[1], rewards + b * stride,
                              matrix::DrawKey{r.seed, r.stream[b], r.episode[b], static_cast<uint32_t>(r.t[b])});
    }
  }

  void last_moves_range(const EnvRange& r, int agent, int8_t* own, int8_t* other) const override {
    const int me = agent == 0 ? 1 : 0;  // shift of agent's own move in a joint move 2 * a0 + a1
    for (int64_t b = r.b0; b < r.b1; ++b) {
      const int32_t joint = r.at(b)[0];
      const bool none = joint < 0;
      own[b - r.b0] = static_cast<int8_t>(none ? -1 : (joint >> me) & 1);
      other[b - r.b0] = static_cast<int8_t>(none ? -1 : (joint >> (1 - me)) & 1);
    }
  }

  const matrix::Rules* matrix_rules(int* history) const override {
    *history = history_;
    return &rules_;
  }

  bool two_action() const override { return true; }

  LastMoves last_moves(const int32_t* s, int, int agent) const override {
    LastMoves m;
    matrix::last_moves(s, agent, &m.own, &m.other);
    return m;
  }

  bool payoff_table(int agent, double own[4], double other[4]) const override {
    // From agent's side: CC, CD, DC, DD (own move first).
    for (int mine = 0; mine < 2; ++mine)
      for (int theirs = 0; theirs < 2; ++theirs) {
        const int joint = agent == 0 ? 2 * mine + theirs : 2 * theirs + mine;
        own[2 * mine + theirs] = table_[2 * joint + agent];
        other[2 * mine + theirs] = table_[2 * joint + (1 - agent)];
      }
    return true;
  }

 private:
  Table table_{};
  int rounds_ = 10;
  double continuation_ = 1.0;
  double noise_ = 0.0;
  int history_ = 1;
  matrix::Rules rules_{};
};

const ParamSpecs& ipd_specs() {
  static const ParamSpecs s = [] {
    ParamSpecs out;
    for (const auto& spec : specs())
      if (spec.name != "preset" && spec.name != "payoffs") out.push_back(spec);
    return out;
  }();
  return s;
}

std::shared_ptr<const Game> make_matrix(const Params& p) { return std::make_shared<MatrixGame>(p, "matrix"); }

std::shared_ptr<const Game> make_ipd(const Params& p) {
  if (p.has("preset"))
    throw Error(codes::kInvalidParam,
                p.owner() + ".preset is fixed to prisoners-dilemma for 'ipd'; use 'matrix' for other presets");
  return std::make_shared<MatrixGame>(p, "ipd");
}

const GameRegistrar matrix_registrar("matrix", "a repeated 2x2 game (action 0 cooperates)", specs, make_matrix);
const GameRegistrar ipd_registrar(
    "ipd", "the iterated prisoner's dilemma (CC 3/3, CD 0/5, DC 5/0, DD 1/1; action 0 cooperates)", ipd_specs,
    make_ipd);

}  // namespace

}  // namespace dilemma
