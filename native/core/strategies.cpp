// Scripted strategies for any two-action iterated game. Each is a rule giving
// the probability of cooperating from the last round's two-action view
// (Game::last_moves); the draw comes from the counter-based RNG.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>

#include "error.hpp"
#include "policy.hpp"

namespace dilemma {
namespace {

enum class Kind {
  kAlwaysCooperate,
  kAlwaysDefect,
  kTitForTat,
  kSuspiciousTitForTat,
  kGenerousTitForTat,
  kGrimTrigger,
  kWinStayLoseShift,
  kAlternate,
  kRandom,
  kZdExtortion,
};

struct Spec {
  const char* name;
  Kind kind;
};

const Spec kSpecs[] = {
    {"always-cooperate", Kind::kAlwaysCooperate},
    {"always-defect", Kind::kAlwaysDefect},
    {"tit-for-tat", Kind::kTitForTat},
    {"suspicious-tit-for-tat", Kind::kSuspiciousTitForTat},
    {"generous-tit-for-tat", Kind::kGenerousTitForTat},
    {"grim-trigger", Kind::kGrimTrigger},
    {"win-stay-lose-shift", Kind::kWinStayLoseShift},
    {"alternate", Kind::kAlternate},
    {"random", Kind::kRandom},
    {"zd-extortion", Kind::kZdExtortion},
};

// Press and Dyson's extortionate zero-determinant strategy: memory-one
// cooperation probabilities after CC, CD, DC, DD (own move first) that enforce
// (own - own_DD) = chi * (other - other_DD). phi is a fraction of the largest
// scale that keeps every probability in [0, 1].
std::array<double, 4> zd_probabilities(const Game& game, int agent, double chi, double phi_fraction) {
  double x[4], y[4];
  if (!game.payoff_table(agent, x, y))
    throw Error(codes::kUnsupported, "zd-extortion needs a game with a 2x2 payoff table; '" + game.info().id + "' has none");
  double d[3];
  for (int i = 0; i < 3; ++i) d[i] = (x[i] - x[3]) - chi * (y[i] - y[3]);
  // p_CC = 1 + phi d0, p_CD = 1 + phi d1, p_DC = phi d2, p_DD = 0.
  double phi_max = std::numeric_limits<double>::infinity();
  bool valid = d[0] <= 0 && d[1] <= 0 && d[2] >= 0;
  if (valid) {
    if (d[0] < 0) phi_max = std::min(phi_max, -1.0 / d[0]);
    if (d[1] < 0) phi_max = std::min(phi_max, -1.0 / d[1]);
    if (d[2] > 0) phi_max = std::min(phi_max, 1.0 / d[2]);
  }
  if (!valid || !std::isfinite(phi_max))
    throw Error(codes::kUnsupported, "zd-extortion with chi = " + std::to_string(chi) + " has no valid strategy in game '" +
                                         game.info().id + "' for agent " + std::to_string(agent));
  const double phi = phi_fraction * phi_max;
  return {1 + phi * d[0], 1 + phi * d[1], phi * d[2], 0.0};
}

class Scripted final : public Policy {
 public:
  Scripted(std::string name, Kind kind, const Params& p) : name_(std::move(name)), kind_(kind) {
    switch (kind_) {
      case Kind::kGenerousTitForTat: forgive_ = p.number("forgiveness", 1.0 / 3.0, 0.0, 1.0); break;
      case Kind::kRandom: p_ = p.number("p", 0.5, 0.0, 1.0); break;
      case Kind::kZdExtortion:
        chi_ = p.number("chi", 3.0, 1.0, 1e6);
        phi_ = p.number("phi", 0.5, 1e-6, 1.0);
        break;
      default: break;
    }
    p.reject_unknown();
  }

  std::string name() const override { return name_; }
  int memory_size() const override { return kind_ == Kind::kGrimTrigger ? 1 : 0; }

  void check(const Game& game, int agent) const override {
    if (!game.two_action())
      throw Error(codes::kUnsupported, "strategy '" + name_ + "' needs a two-action game; '" + game.info().id + "' is not");
    if (kind_ == Kind::kZdExtortion) zd_probabilities(game, agent, chi_, phi_);
  }

  void act(const ActContext& c, int64_t b0, int64_t b1) const override {
    const Game& game = c.envs->game();
    const int coop = game.cooperate_action(), defect = game.defect_action();
    std::array<double, 4> zd{};
    if (kind_ == Kind::kZdExtortion) zd = zd_probabilities(game, c.agent, chi_, phi_);
    const int mem = memory_size();
    const bool stochastic =
        kind_ == Kind::kRandom || kind_ == Kind::kGenerousTitForTat || kind_ == Kind::kZdExtortion;
    // A strategy's cooperation probability takes few distinct values: keep the
    // log terms of the last one instead of recomputing them per environment.
    LogTerms cache = log_terms(1.0);
    // Blocks of environments: rules first, then the draws in a tight
    // branch-free loop (the counter-based generator pipelines well there).
    constexpr int kBlock = 64;
    double pc[kBlock];
    float u[kBlock];
    for (int64_t start = b0; start < b1; start += kBlock) {
      const int n = static_cast<int>(std::min<int64_t>(kBlock, b1 - start));
      for (int k = 0; k < n; ++k) {
        const int64_t b = start + k;
        const int t = c.envs->steps_taken(b);
        int32_t* memory = c.memory + b * mem;
        if (t == 0 && mem) memory[0] = 0;
        pc[k] = cooperate_probability(game.last_moves(c.envs->state(b), t, c.agent), t, memory, zd);
      }
      if (stochastic)
        for (int k = 0; k < n; ++k)
          u[k] = rng::uniform(c.seed, static_cast<uint32_t>(start + k), 0, static_cast<uint32_t>(c.step),
                              rng::kScripted, static_cast<uint32_t>(c.agent));
      for (int k = 0; k < n; ++k) {
        const bool cooperate = pc[k] >= 1.0 || (pc[k] > 0.0 && u[k] < pc[k]);
        if (pc[k] != cache.p) cache = log_terms(pc[k]);
        const int64_t i = (start + k) * c.out_stride + c.agent;
        c.actions[i] = cooperate ? coop : defect;
        c.logp[i] = cooperate ? cache.log_c : cache.log_d;
        c.entropy[i] = cache.entropy;
      }
    }
  }

 private:
  struct LogTerms {
    double p;
    float log_c, log_d, entropy;
  };

  static LogTerms log_terms(double p) {
    const double lc = std::log(p), ld = p == 0.0 ? 0.0 : std::log1p(-p);  // +0 for a sure defection
    double h = 0;
    if (p > 0) h -= p * lc;
    if (p < 1) h -= (1 - p) * ld;
    return {p, static_cast<float>(lc), static_cast<float>(ld), static_cast<float>(h)};
  }

  double cooperate_probability(const LastMoves& m, int t, int32_t* memory, const std::array<double, 4>& zd) const {
    const bool first = m.own < 0;
    switch (kind_) {
      case Kind::kAlwaysCooperate: return 1;
      case Kind::kAlwaysDefect: return 0;
      case Kind::kTitForTat: return first || m.other == 0 ? 1 : 0;
      case Kind::kSuspiciousTitForTat: return first ? 0 : (m.other == 0 ? 1 : 0);
      case Kind::kGenerousTitForTat: return first || m.other == 0 ? 1 : forgive_;
      case Kind::kGrimTrigger:
        if (!first && m.other == 1) memory[0] = 1;
        return memory[0] ? 0 : 1;
      case Kind::kWinStayLoseShift: return first || m.own == m.other ? 1 : 0;
      case Kind::kAlternate: return t % 2 == 0 ? 1 : 0;
      case Kind::kRandom: return p_;
      case Kind::kZdExtortion: return first ? 1 : zd[2 * m.own + m.other];
    }
    return 0;
  }

  std::string name_;
  Kind kind_;
  double forgive_ = 1.0 / 3.0;
  double p_ = 0.5;
  double chi_ = 3.0;
  double phi_ = 0.5;
};

}  // namespace

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& s : kSpecs) out.emplace_back(s.name);
    return out;
  }();
  return names;
}

std::shared_ptr<const Policy> make_strategy(const std::string& name, const Params& params) {
  for (const auto& s : kSpecs)
    if (name == s.name) return std::make_shared<Scripted>(name, s.kind, params);
  std::string known;
  for (const auto& n : strategy_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error(codes::kUnknownStrategy, "unknown strategy '" + name + "' (known: " + known + ")");
}

}  // namespace dilemma
