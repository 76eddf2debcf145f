// Iterated public-goods game: each of n players contributes a fraction of an
// endowment; the pot times r is shared equally. Action 0 contributes
// everything, the last action nothing, with equal steps between.
#include <cstring>

#include "../error.hpp"
#include "../game.hpp"

namespace dilemma {
namespace {

const ParamSpecs& specs() {
  static const ParamSpecs s = {
      ParamSpec::integer("players", 4, 2, 64, "Number of players."),
      ParamSpec::number("multiplier", 1.6, 0.0, 1e6, "Pot multiplier r."),
      rounds_param(10, "Rounds per episode."),
      ParamSpec::integer("levels", 2, 2, 101,
                         "Contribution levels: action 0 contributes everything, action levels-1 nothing."),
      ParamSpec::number("endowment", 1.0, 1e-9, 1e9, "Endowment per round."),
  };
  return s;
}

class PublicGoodsGame final : public Game {
 public:
  explicit PublicGoodsGame(const Params& p) {
    const ParamSpecs& s = specs();
    n_ = p.integer(spec_of(s, "players"));
    r_ = p.number(spec_of(s, "multiplier"));
    rounds_ = p.integer(spec_of(s, "rounds"));
    levels_ = p.integer(spec_of(s, "levels"));
    endowment_ = p.number(spec_of(s, "endowment"));
    // Observation: start flag, own last contribution, then the others' from agent + 1 on.
    info_ = GameInfo{"public-goods", n_, 1 + n_, levels_, rounds_, n_};
  }

  double fraction(int action) const { return static_cast<double>(levels_ - 1 - action) / (levels_ - 1); }

  void reset(int32_t* s, const EnvDraw&) const override {
    for (int i = 0; i < n_; ++i) s[i] = -1;
  }

  void observe(const int32_t* s, int, int agent, float* obs) const override {
    std::memset(obs, 0, sizeof(float) * info_.obs_dim);
    if (s[0] < 0) {
      obs[0] = 1.0f;
      return;
    }
    for (int k = 0; k < n_; ++k) obs[1 + k] = static_cast<float>(fraction(s[(agent + k) % n_]));
  }

  double reward(const int32_t* actions, int agent) const {
    double pot = 0;
    for (int i = 0; i < n_; ++i) pot += fraction(actions[i]);
    return endowment_ * ((1.0 - fraction(actions[agent])) + r_ * pot / n_);
  }

  bool step(int32_t* s, int t, const int32_t* actions, float* rewards, const EnvDraw&) const override {
    for (int i = 0; i < n_; ++i) rewards[i] = static_cast<float>(reward(actions, i));
    for (int i = 0; i < n_; ++i) s[i] = actions[i];
    return t + 1 >= rounds_;
  }

  // The range versions: the same arithmetic as observe / reward / step, in
  // one loop with no call per environment.
  void reset_range(const EnvRange& r) const override {
    for (int64_t b = r.b0; b < r.b1; ++b)
      for (int i = 0; i < n_; ++i) r.at(b)[i] = -1;
  }

  void observe_range(const EnvRange& r, float* obs, int64_t obs_stride) const override {
    const int dim = info_.obs_dim;
    double frac[64];
    for (int64_t b = r.b0; b < r.b1; ++b) {
      if (r.finished(b)) continue;
      const int32_t* s = r.at(b);
      float* row = obs + b * obs_stride;
      std::memset(row, 0, sizeof(float) * n_ * dim);
      if (s[0] < 0) {
        for (int a = 0; a < n_; ++a) row[a * dim] = 1.0f;
        continue;
      }
      for (int i = 0; i < n_; ++i) frac[i] = fraction(s[i]);
      for (int a = 0; a < n_; ++a)
        for (int k = 0; k < n_; ++k) row[a * dim + 1 + k] = static_cast<float>(frac[(a + k) % n_]);
    }
  }

  void step_range(const EnvRange& r, const int32_t* actions, int64_t stride, float* rewards,
                  uint8_t* ended) const override {
    double frac[64];
    for (int64_t b = r.b0; b < r.b1; ++b) {
      if (r.finished(b)) continue;
      const int32_t* a = actions + b * stride;
      float* rew = rewards + b * stride;
      int32_t* s = r.at(b);
      double pot = 0;
      for (int i = 0; i < n_; ++i) {
        frac[i] = fraction(a[i]);
        pot += frac[i];
      }
      for (int i = 0; i < n_; ++i) rew[i] = static_cast<float>(endowment_ * ((1.0 - frac[i]) + r_ * pot / n_));
      for (int i = 0; i < n_; ++i) s[i] = a[i];
      ended[b] = r.t[b] + 1 >= rounds_;
    }
  }

  bool two_action() const override { return true; }
  int defect_action() const override { return levels_ - 1; }

  // "Cooperated" means contributed at least half; the others count as one
  // player who cooperated when their mean contribution is at least half.
  LastMoves last_moves(const int32_t* s, int, int agent) const override {
    if (s[0] < 0) return {};
    double others = 0;
    for (int i = 0; i < n_; ++i)
      if (i != agent) others += fraction(s[i]);
    others /= (n_ - 1);
    return {fraction(s[agent]) >= 0.5 ? 0 : 1, others >= 0.5 ? 0 : 1};
  }

  bool payoff_table(int agent, double own[4], double other[4]) const override {
    if (n_ != 2) return false;
    for (int mine = 0; mine < 2; ++mine)
      for (int theirs = 0; theirs < 2; ++theirs) {
        int32_t a[2];
        a[agent] = mine ? defect_action() : 0;
        a[1 - agent] = theirs ? defect_action() : 0;
        own[2 * mine + theirs] = reward(a, agent);
        other[2 * mine + theirs] = reward(a, 1 - agent);
      }
    return true;
  }

 private:
  int n_ = 4;
  double r_ = 1.6;
  int rounds_ = 10;
  int levels_ = 2;
  double endowment_ = 1.0;
};

const GameRegistrar registrar("public-goods", "an n-player repeated public goods game", specs,
                              make_game_of<PublicGoodsGame>);

}  // namespace

}  // namespace dilemma
