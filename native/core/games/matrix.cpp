// Iterated 2x2 games with simultaneous moves. Action 0 is "cooperate" (or the
// first named move of a preset), action 1 is "defect".
#include <array>
#include <cstring>
#include <map>

#include "../error.hpp"
#include "../game.hpp"

namespace dilemma {
namespace {

// payoffs[2 * joint + player], joint = 2 * a0 + a1.
using Table = std::array<double, 8>;

const std::map<std::string, Table>& presets() {
  static const std::map<std::string, Table> table = {
      {"prisoners-dilemma", {3, 3, 0, 5, 5, 0, 1, 1}},
      {"stag-hunt", {4, 4, 0, 3, 3, 0, 2, 2}},
      {"chicken", {3, 3, 1, 5, 5, 1, 0, 0}},
      {"battle-of-the-sexes", {3, 2, 0, 0, 0, 0, 2, 3}},
      {"matching-pennies", {1, -1, -1, 1, -1, 1, 1, -1}},
  };
  return table;
}

constexpr int kSlot = 5;  // one-hot per remembered round: none, CC, CD, DC, DD

class MatrixGame final : public Game {
 public:
  MatrixGame(const Params& p, const std::string& id) {
    const bool has_table = p.has("payoffs");
    const std::string preset = p.text("preset", "prisoners-dilemma");
    if (has_table && p.has("preset"))
      throw Error(codes::kInvalidParam, p.owner() + ".preset and " + p.owner() + ".payoffs are exclusive: give one");
    if (!has_table) {
      auto it = presets().find(preset);
      if (it == presets().end()) {
        std::string known;
        for (const auto& [name, t] : presets()) known += (known.empty() ? "" : ", ") + name;
        throw Error(codes::kInvalidParam, p.owner() + ".preset '" + preset + "' is unknown (known: " + known + ")");
      }
      table_ = it->second;
    } else {
      const auto v = p.numbers("payoffs", {}, 8);
      for (int i = 0; i < 8; ++i) table_[i] = v[i];
    }
    rounds_ = p.integer("rounds", 10, 1, 1 << 20);
    continuation_ = p.number("continuation", 1.0, 0.0, 1.0);
    noise_ = p.number("noise", 0.0, 0.0, 0.5);
    history_ = p.integer("history", 1, 1, 8);
    info_ = GameInfo{id, 2, kSlot * history_, 2, rounds_, history_};
  }

  void reset(int32_t* s, const EnvDraw&) const override {
    for (int k = 0; k < history_; ++k) s[k] = -1;
  }

  void observe(const int32_t* s, int, int agent, float* obs) const override {
    for (int i = 0; i < info_.obs_dim; ++i) obs[i] = 0.0f;
    for (int k = 0; k < history_; ++k) {
      const int joint = s[k];
      int idx = 0;
      if (joint >= 0) {
        const int a0 = joint >> 1, a1 = joint & 1;
        idx = agent == 0 ? 1 + 2 * a0 + a1 : 1 + 2 * a1 + a0;
      }
      obs[k * kSlot + idx] = 1.0f;
    }
  }

  bool step(int32_t* s, int t, const int32_t* actions, float* rewards, const EnvDraw& draw) const override {
    int a[2];
    for (int i = 0; i < 2; ++i) {
      a[i] = actions[i];
      if (noise_ > 0 && draw.uniform(i) < noise_) a[i] = 1 - a[i];
    }
    const int joint = 2 * a[0] + a[1];
    rewards[0] = static_cast<float>(table_[2 * joint]);
    rewards[1] = static_cast<float>(table_[2 * joint + 1]);
    for (int k = history_ - 1; k > 0; --k) s[k] = s[k - 1];
    s[0] = joint;
    if (t + 1 >= rounds_) return true;
    return continuation_ < 1.0 && draw.uniform(2) >= continuation_;
  }

  bool two_action() const override { return true; }

  LastMoves last_moves(const int32_t* s, int, int agent) const override {
    if (s[0] < 0) return {};
    const int a0 = s[0] >> 1, a1 = s[0] & 1;
    return agent == 0 ? LastMoves{a0, a1} : LastMoves{a1, a0};
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
};

}  // namespace

std::shared_ptr<const Game> make_matrix_game(const Params& params, const std::string& id) {
  return std::make_shared<MatrixGame>(params, id);
}

}  // namespace dilemma
