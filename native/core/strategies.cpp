// Scripted strategies for any two-action iterated game. Each is a rule giving
// the probability of cooperating from the last round's two-action view
// (Game::last_moves); the draw comes from the counter-based RNG.
#include <algorithm>
#include <array>
#include <functional>

#include "error.hpp"
#include "policy.hpp"
#include "strategy_rules.hpp"

namespace dilemma {
namespace {

using strategy::Kind;

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

// The zd-extortion probabilities for agent in game (strategy_rules.hpp).
std::array<double, 4> zd_probabilities(const Game& game, int agent, double chi, double phi_fraction) {
  double x[4], y[4];
  if (!game.payoff_table(agent, x, y))
    throw Error(codes::kUnsupported, "zd-extortion needs a game with a 2x2 payoff table; '" + game.info().id + "' has none");
  std::array<double, 4> p{};
  if (!strategy::zd_probabilities(x, y, chi, phi_fraction, p.data()))
    throw Error(codes::kUnsupported, "zd-extortion with chi = " + std::to_string(chi) + " has no valid strategy in game '" +
                                         game.info().id + "' for agent " + std::to_string(agent));
  return p;
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
  int memory_size() const override { return strategy::memory_size(kind_); }

  void check(const Game& game, int agent) const override {
    if (!game.two_action())
      throw Error(codes::kUnsupported, "strategy '" + name_ + "' needs a two-action game; '" + game.info().id + "' is not");
    if (kind_ == Kind::kZdExtortion) zd_probabilities(game, agent, chi_, phi_);
  }

  void act(const ActContext& c, int64_t b0, int64_t b1) const override {
    const Game& game = c.envs->game();
    const int coop = game.cooperate_action(), defect = game.defect_action();
    strategy::Rule rule{kind_, forgive_, p_, {0.0, 0.0, 0.0, 0.0}};
    if (kind_ == Kind::kZdExtortion) {
      const std::array<double, 4> zd = zd_probabilities(game, c.agent, chi_, phi_);
      std::copy(zd.begin(), zd.end(), rule.zd);
    }
    const int mem = memory_size();
    const bool stochastic = strategy::stochastic(kind_);
    // A strategy's cooperation probability takes few distinct values: keep the
    // log terms of the last one instead of recomputing them per environment.
    strategy::LogTerms cache = strategy::log_terms(1.0);
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
        const LastMoves m = game.last_moves(c.envs->state(b), t, c.agent);
        pc[k] = strategy::cooperate_probability(rule, m.own, m.other, t, memory);
      }
      if (stochastic)
        rng::uniform_block(c.seed, static_cast<uint32_t>(start), n, 0, static_cast<uint32_t>(c.step), rng::kScripted,
                           static_cast<uint32_t>(c.agent), u);
      for (int k = 0; k < n; ++k) {
        const bool cooperate = strategy::cooperates(pc[k], stochastic ? u[k] : 0.0f);
        if (pc[k] != cache.p) cache = strategy::log_terms(pc[k]);
        const int64_t i = (start + k) * c.out_stride + c.agent;
        c.actions[i] = cooperate ? coop : defect;
        c.logp[i] = cooperate ? cache.log_c : cache.log_d;
        c.entropy[i] = cache.entropy;
      }
    }
  }

 private:
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
    for (const auto& n : negotiation_agent_names()) out.push_back(n);
    return out;
  }();
  return names;
}

std::shared_ptr<const Policy> make_strategy(const std::string& name, const Params& params) {
  for (const auto& s : kSpecs)
    if (name == s.name) return std::make_shared<Scripted>(name, s.kind, params);
  if (auto agent = make_negotiation_agent(name, params)) return agent;
  std::string known;
  for (const auto& n : strategy_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error(codes::kUnknownStrategy, "unknown strategy '" + name + "' (known: " + known + ")");
}

}  // namespace dilemma
