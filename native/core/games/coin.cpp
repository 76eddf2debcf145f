// The Coin Game (Lerer & Peysakhovich; the Advantage Alignment paper's
// version): red (agent 0) and blue (agent 1) move on a toroidal grid with one
// coin on it. Stepping onto the coin pays the picker `reward` whatever its
// colour; if the coin is the other agent's colour, its owner loses `penalty`.
// Both agents may land on the coin together: each is paid and each
// other-colour pick charges the owner. Agents may share a cell. After a
// pick-up the next coin appears on a uniformly random cell no agent stands on,
// with a uniformly random colour.
#include <cstring>

#include "../error.hpp"
#include "../game.hpp"
#include "common_rules.hpp"

namespace dilemma {
namespace {

// State layout. Positions are cell indices y * width + x.
enum Slot : int {
  kPos0 = 0,       // red's cell
  kPos1 = 1,       // blue's cell
  kCoin = 2,       // the coin's cell
  kColour = 3,     // owner of the coin: 0 = red, 1 = blue
  kOwnCoins = 4,   // per agent: coins of its own colour picked up this episode
  kOtherCoins = 6, // per agent: coins of the other's colour picked up this episode
  kStateSize = 8,
};

// EnvDraw slots. Reset and the first step share a counter (step 0 of the
// episode), so their slots must not overlap.
enum DrawSlot : uint32_t {
  kDrawStart0 = 0,
  kDrawStart1 = 1,
  kDrawStartCoin = 2,
  kDrawStartColour = 3,
  kDrawCoin = 4,
  kDrawColour = 5,
};

const ParamSpecs& specs() {
  static const ParamSpecs s = {
      ParamSpec::integer("size", 3, 2, 16, "Side of a square grid (toroidal). Exclusive with width/height."),
      ParamSpec::integer("width", 3, 2, 16, "Grid width; default size."),
      ParamSpec::integer("height", 3, 2, 16, "Grid height; default size."),
      rounds_param(16, "Steps per episode (the Advantage Alignment paper uses 16 or 32)."),
      ParamSpec::number("reward", 1.0, -1e6, 1e6, "Paid to an agent that steps onto the coin, whatever its colour."),
      ParamSpec::number("penalty", 2.0, -1e6, 1e6,
                        "Lost by the coin's owner when the other agent picks it up (subtracted)."),
      ParamSpec::flag("stay", false, "Adds action 4 = stay to up, down, left, right."),
  };
  return s;
}

class CoinGame final : public Game {
 public:
  explicit CoinGame(const Params& p) {
    const bool sized = p.has("size");
    if (sized && (p.has("width") || p.has("height")))
      throw Error(codes::kInvalidParam, p.owner() + ".size and " + p.owner() +
                                            ".width/height are exclusive: give size for a square grid, else width and height");
    const ParamSpecs& s = specs();
    const int size = p.integer(spec_of(s, "size"));
    width_ = p.integer(spec_of(s, "width"), size);
    height_ = p.integer(spec_of(s, "height"), size);
    rounds_ = p.integer(spec_of(s, "rounds"));
    reward_ = static_cast<float>(p.number(spec_of(s, "reward")));
    penalty_ = static_cast<float>(p.number(spec_of(s, "penalty")));
    // A flag as 0/1: parameters are numbers, lists or strings (the TypeScript
    // layer turns `stay: true` into 1).
    stay_ = p.flag(spec_of(s, "stay"));
    cells_ = width_ * height_;
    info_ = GameInfo{"coin", 2, 4 * cells_, stay_ ? 5 : 4, rounds_, kStateSize};
    declare_stats(kOwnCoins, {"own_coins_0", "own_coins_1", "other_coins_0", "other_coins_1"});
  }

  void reset(int32_t* s, const EnvDraw& draw) const override {
    // Three distinct cells: red anywhere, blue among the rest, the coin among the rest of those.
    const int p0 = pick(draw.uniform(kDrawStart0), cells_);
    int p1 = pick(draw.uniform(kDrawStart1), cells_ - 1);
    if (p1 >= p0) ++p1;
    s[kPos0] = p0;
    s[kPos1] = p1;
    s[kCoin] = free_cell(p0, p1, draw.uniform(kDrawStartCoin));
    s[kColour] = draw.uniform(kDrawStartColour) < 0.5f ? 0 : 1;
    for (int i = kOwnCoins; i < kStateSize; ++i) s[i] = 0;
  }

  // Channels of cells_ floats each, from agent's side, so that one policy can
  // play either seat: own cell, other's cell, coin of own colour, coin of the
  // other's colour.
  void observe(const int32_t* s, int, int agent, float* obs) const override {
    std::memset(obs, 0, sizeof(float) * info_.obs_dim);
    obs[s[kPos0 + agent]] = 1.0f;
    obs[cells_ + s[kPos0 + (1 - agent)]] = 1.0f;
    obs[(s[kColour] == agent ? 2 : 3) * cells_ + s[kCoin]] = 1.0f;
  }

  bool step(int32_t* s, int t, const int32_t* actions, float* rewards, const EnvDraw& draw) const override {
    rewards[0] = rewards[1] = 0.0f;
    for (int i = 0; i < 2; ++i) s[kPos0 + i] = move(s[kPos0 + i], actions[i]);
    const int owner = s[kColour];
    bool picked = false;
    for (int i = 0; i < 2; ++i) {
      if (s[kPos0 + i] != s[kCoin]) continue;
      picked = true;
      rewards[i] += reward_;
      if (owner == i) {
        ++s[kOwnCoins + i];
      } else {
        ++s[kOtherCoins + i];
        rewards[owner] -= penalty_;
      }
    }
    if (picked) {
      s[kCoin] = free_cell(s[kPos0], s[kPos1], draw.uniform(kDrawCoin));
      s[kColour] = draw.uniform(kDrawColour) < 0.5f ? 0 : 1;
    }
    return t + 1 >= rounds_;
  }

 private:
  int move(int cell, int action) const {
    int x = cell % width_, y = cell / width_;
    switch (action) {
      case 0: y = (y + height_ - 1) % height_; break;  // up
      case 1: y = (y + 1) % height_; break;            // down
      case 2: x = (x + width_ - 1) % width_; break;    // left
      case 3: x = (x + 1) % width_; break;             // right
      default: break;                                  // stay (only legal when enabled)
    }
    return y * width_ + x;
  }

  // The k-th cell (k drawn uniformly) among those neither agent stands on.
  int free_cell(int a, int b, float u) const {
    const int lo = a < b ? a : b, hi = a < b ? b : a;
    const int taken = lo == hi ? 1 : 2;
    int k = pick(u, cells_ - taken);
    if (k >= lo) ++k;
    if (taken == 2 && k >= hi) ++k;
    return k;
  }

  int width_ = 3;
  int height_ = 3;
  int cells_ = 9;
  int rounds_ = 16;
  float reward_ = 1.0f;
  float penalty_ = 2.0f;
  bool stay_ = false;
};

const GameRegistrar registrar("coin", "the two-agent coin game on a toroidal grid", specs, make_game_of<CoinGame>);

}  // namespace

}  // namespace dilemma
