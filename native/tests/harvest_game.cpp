// A game that only the test build registers, to show that a matrix-like game
// with two parameters is one file: its specs, its rules and its registrar.
// Two foragers each restrain (action 0) or harvest (action 1) every round:
// both restrain 2/2, a lone harvester takes `bonus` and leaves the other 0,
// both harvest 1/1. The observation is the last joint move, one-hot from the
// observer's side: no round yet, both restrained, only the other harvested,
// only I harvested, both harvested.
#include <cstring>

#include "../core/game.hpp"

namespace dilemma {
namespace {

const ParamSpecs& specs() {
  static const ParamSpecs s = {
      rounds_param(5, "Rounds per episode."),
      ParamSpec::number("bonus", 3.0, 0.0, 100.0, "Paid to a lone harvester."),
  };
  return s;
}

class HarvestGame final : public Game {
  int rounds_;
  float bonus_;

 public:
  explicit HarvestGame(const Params& p)
      : rounds_(p.integer(spec_of(specs(), "rounds"))), bonus_(static_cast<float>(p.number(spec_of(specs(), "bonus")))) {
    // State: each agent's last move, -1 before the first round.
    info_ = GameInfo{"harvest", 2, 5, 2, rounds_, 2};
  }

  void reset(int32_t* s, const EnvDraw&) const override { s[0] = s[1] = -1; }

  void observe(const int32_t* s, int, int agent, float* obs) const override {
    std::memset(obs, 0, sizeof(float) * 5);
    obs[s[0] < 0 ? 0 : 1 + 2 * s[agent] + s[1 - agent]] = 1.0f;
  }

  bool step(int32_t* s, int t, const int32_t* actions, float* rewards, const EnvDraw&) const override {
    for (int a = 0; a < 2; ++a) {
      const int own = actions[a], other = actions[1 - a];
      rewards[a] = own == other ? (own == 0 ? 2.0f : 1.0f) : (own == 1 ? bonus_ : 0.0f);
      s[a] = own;
    }
    return t + 1 >= rounds_;
  }
};

const GameRegistrar registrar("harvest", "two foragers who restrain or harvest (test build only)", specs,
                              make_game_of<HarvestGame>);

}  // namespace
}  // namespace dilemma
