// The Advantage Alignment paper's negotiation game: `items` items (3). At
// reset agent 0's utility of each item is lowUtility or highUtility (1 or 5)
// with equal chance, independently per item, and agent 1's is the other one
// (u_1 = low + high - u_0: 6 - u_0 by default), so the agents always want
// different things most. Each round both agents claim a share of every item,
// prop in 0..levels (5), one step per item (`items` steps per round, action
// p claims p); agent i is paid prop_i / (prop_0 + prop_1) * u_i for the item
// at that item's step, and nothing when both claim 0. Proposals are
// simultaneous: the other's show only once the round is over.
//
// Observations show both agents' utilities. Since u_1 = low + high - u_0,
// either agent's utilities determine the other's, so hiding the other's
// would hide nothing.
#include <cstring>

#include "../game.hpp"
#include "common_rules.hpp"
#include "item_rounds.hpp"

namespace dilemma {
namespace {

const ParamSpecs& specs() {
  static const ParamSpecs s = {
      ParamSpec::integer("items", 3, 1, 8, "Item types."),
      ParamSpec::integer("levels", 5, 1, 100, "Proposals per item are shares 0..levels (action p claims p)."),
      rounds_param(10, "Rounds per episode, each one step per item."),
      ParamSpec::number("lowUtility", 1.0, 0.0, 1e6,
                        "Agent 0's utility of an item is lowUtility or highUtility at random; agent 1's is the other."),
      ParamSpec::number("highUtility", 5.0, 0.0, 1e6, "The high utility (not below lowUtility)."),
  };
  return s;
}

class NegotiationGame final : public Game {
 public:
  explicit NegotiationGame(const Params& p) {
    const ParamSpecs& s = specs();
    items_ = p.integer(spec_of(s, "items"));
    levels_ = p.integer(spec_of(s, "levels"));
    rounds_ = p.integer(spec_of(s, "rounds"));
    low_ = p.number(spec_of(s, "lowUtility"));
    high_ = p.number(spec_of(s, "highUtility"));
    require_ordered(p, "lowUtility", low_, "highUtility", high_, false);
    const int n = items_;
    rounds_of_ = ItemRounds{n, rounds_, levels_, n, 3 * n};
    kWelfare = 5 * n;
    kMaxWelfare = kWelfare + 1;
    kRoundsPlayed = kWelfare + 2;
    info_ = GameInfo{"negotiation", 2, 6 * n + 2, levels_ + 1, n * rounds_, 5 * n + 3};
    declare_stats(kWelfare, {"welfare", "max_welfare", "rounds_played"});
  }

  double utility(const int32_t* s, int agent, int item) const {
    return (s[kHigh + item] != 0) == (agent == 0) ? high_ : low_;
  }

  void reset(int32_t* s, const EnvDraw& draw) const override {
    for (int j = 0; j < items_; ++j) s[kHigh + j] = draw.uniform(static_cast<uint32_t>(j)) < 0.5f ? 1 : 0;
    rounds_of_.reset(s);
    for (int i = kWelfare; i <= kRoundsPlayed; ++i) s[i] = 0;
  }

  // From agent's side, n = items: own utilities / highUtility (n), the
  // other's (n), then the round fields of ItemRounds::observe.
  void observe(const int32_t* s, int t, int agent, float* obs) const override {
    std::memset(obs, 0, sizeof(float) * info_.obs_dim);
    const int n = items_, other = 1 - agent;
    const double scale = high_ > 0 ? high_ : 1.0;
    for (int j = 0; j < n; ++j) {
      obs[j] = static_cast<float>(utility(s, agent, j) / scale);
      obs[n + j] = static_cast<float>(utility(s, other, j) / scale);
    }
    rounds_of_.observe(s, t, agent, obs);
  }

  bool step(int32_t* s, int t, const int32_t* actions, float* rewards, const EnvDraw&) const override {
    const int item = rounds_of_.item(t);
    const int total = actions[0] + actions[1];
    double r[2];
    for (int i = 0; i < 2; ++i) {
      r[i] = total > 0 ? utility(s, i, item) * actions[i] / total : 0.0;
      rewards[i] = static_cast<float>(r[i]);
    }
    rounds_of_.record(s, t, actions);
    const double u0 = utility(s, 0, item), u1 = utility(s, 1, item);
    add_saturated(s[kWelfare], 100.0 * (r[0] + r[1]));
    add_saturated(s[kMaxWelfare], 100.0 * (u0 > u1 ? u0 : u1));
    if (!rounds_of_.round_over(t)) return false;

    ++s[kRoundsPlayed];
    return rounds_of_.close_round(s, t);
  }

 private:
  int items_ = 3;
  int levels_ = 5;
  int rounds_ = 10;
  double low_ = 1;
  double high_ = 5;
  // State layout, n = items: per item 1 when agent 0 holds the high utility
  // (agent 1 then holds the low one); this round's proposals per agent
  // (agent 0's n, then agent 1's; -1 = not yet); last round's (-1 before the
  // first round ends); welfare x 100 (rounded per item), max welfare x 100
  // (each item wholly to its high-utility agent), rounds played.
  static constexpr int kHigh = 0;
  ItemRounds rounds_of_;
  int kWelfare = 0, kMaxWelfare = 0, kRoundsPlayed = 0;
};

const GameRegistrar registrar("negotiation", "item-by-item negotiation with private utilities", specs,
                              make_game_of<NegotiationGame>);

}  // namespace

}  // namespace dilemma
