// Split without communication: `items` item types (3) of `units` units (10)
// each. At reset every agent's value of every item is drawn from
// {lowValue, highValue} ({1, 10}), uniformly among the assignments where the
// agents' values differ on at least one item; both agents see both value
// vectors. Each round both agents propose, item by item, how many units they
// take: one step per item (so `items` steps per round and the action space
// stays units + 1 wide: action x takes x units). Proposals are simultaneous:
// the other's proposals of a round show only once the round is over. When
// x_0 + x_1 exceeds the units, the units are split proportionally,
// q_i = units * x_i / max(units, x_0 + x_1), and agent i is paid q_i times
// its value of the item at that item's step.
#include <cstring>

#include "../game.hpp"
#include "common_rules.hpp"
#include "item_rounds.hpp"

namespace dilemma {
namespace {

// Draw slots at reset: agent 0's value pattern, then agent 1's.
enum DrawSlot : uint32_t { kDrawValues0 = 0, kDrawValues1 = 1 };

const ParamSpecs& specs() {
  static const ParamSpecs s = {
      ParamSpec::integer("items", 3, 1, 8, "Item types."),
      ParamSpec::integer("units", 10, 1, 1000, "Units of each item; action x takes x units."),
      rounds_param(10, "Rounds per episode, each one step per item."),
      ParamSpec::number("lowValue", 1.0, 0.0, 1e6,
                        "Each agent values each item at lowValue or highValue (public), differing on at least one item."),
      ParamSpec::number("highValue", 10.0, 0.0, 1e6, "The high value (above lowValue)."),
  };
  return s;
}

class SplitGame final : public Game {
 public:
  explicit SplitGame(const Params& p) {
    const ParamSpecs& s = specs();
    items_ = p.integer(spec_of(s, "items"));
    units_ = p.integer(spec_of(s, "units"));
    rounds_ = p.integer(spec_of(s, "rounds"));
    low_ = p.number(spec_of(s, "lowValue"));
    high_ = p.number(spec_of(s, "highValue"));
    require_ordered(p, "lowValue", low_, "highValue", high_, true);
    const int n = items_;
    rounds_of_ = ItemRounds{n, rounds_, units_, 2 * n, 4 * n};
    kWelfare = 6 * n;
    kMaxWelfare = kWelfare + 1;
    kAgreements = kWelfare + 2;
    kRoundsPlayed = kWelfare + 3;
    info_ = GameInfo{"split", 2, 6 * n + 2, units_ + 1, n * rounds_, 6 * n + 4};
    declare_stats(kWelfare, {"welfare", "max_welfare", "agreements", "rounds_played"});
  }

  void reset(int32_t* s, const EnvDraw& draw) const override {
    // A pattern is a bit mask of high-valued items. Agent 0's is uniform,
    // agent 1's uniform among the others: uniform over the pairs that differ.
    const int patterns = 1 << items_;
    const int p0 = pick(draw.uniform(kDrawValues0), patterns);
    int p1 = pick(draw.uniform(kDrawValues1), patterns - 1);
    if (p1 >= p0) ++p1;
    for (int j = 0; j < items_; ++j) {
      s[kHigh + j] = (p0 >> j) & 1;
      s[kHigh + items_ + j] = (p1 >> j) & 1;
    }
    rounds_of_.reset(s);
    for (int i = kWelfare; i <= kRoundsPlayed; ++i) s[i] = 0;
  }

  // From agent's side, n = items: own values, 1 = highValue and 0 = lowValue
  // (n), the other's (n), then the round fields of ItemRounds::observe.
  void observe(const int32_t* s, int t, int agent, float* obs) const override {
    std::memset(obs, 0, sizeof(float) * info_.obs_dim);
    const int n = items_, other = 1 - agent;
    for (int j = 0; j < n; ++j) {
      obs[j] = static_cast<float>(s[kHigh + agent * n + j]);
      obs[n + j] = static_cast<float>(s[kHigh + other * n + j]);
    }
    rounds_of_.observe(s, t, agent, obs);
  }

  bool step(int32_t* s, int t, const int32_t* actions, float* rewards, const EnvDraw&) const override {
    const int n = items_, item = rounds_of_.item(t);
    const int x[2] = {actions[0], actions[1]};
    const int total = x[0] + x[1] > units_ ? x[0] + x[1] : units_;
    double v[2], r[2];
    for (int i = 0; i < 2; ++i) {
      v[i] = s[kHigh + i * n + item] ? high_ : low_;
      r[i] = v[i] * units_ * x[i] / total;
      rewards[i] = static_cast<float>(r[i]);
    }
    rounds_of_.record(s, t, actions);
    add_saturated(s[kWelfare], 100.0 * (r[0] + r[1]));
    add_saturated(s[kMaxWelfare], 100.0 * units_ * (v[0] > v[1] ? v[0] : v[1]));
    if (!rounds_of_.round_over(t)) return false;

    const int proposal = rounds_of_.proposal;
    bool agreed = true;
    for (int j = 0; j < n; ++j) agreed = agreed && s[proposal + j] + s[proposal + n + j] == units_;
    if (agreed) ++s[kAgreements];
    ++s[kRoundsPlayed];
    return rounds_of_.close_round(s, t);
  }

 private:
  int items_ = 3;
  int units_ = 10;
  int rounds_ = 10;
  double low_ = 1;
  double high_ = 10;
  // State layout, n = items: per agent (agent 0's n values, then agent 1's)
  // high-value flags, this round's proposals (-1 = not yet), last round's
  // proposals (-1 before the first round ends); then welfare x 100 (rounded
  // per item), max welfare x 100 (every unit to a higher-valuing agent),
  // agreements (rounds where every item's proposals sum to `units`), rounds
  // played.
  static constexpr int kHigh = 0;
  ItemRounds rounds_of_;
  int kWelfare = 0, kMaxWelfare = 0, kAgreements = 0, kRoundsPlayed = 0;
};

const GameRegistrar registrar("split", "item splitting with public values", specs, make_game_of<SplitGame>);

}  // namespace

}  // namespace dilemma
