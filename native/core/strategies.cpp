// Scripted strategies for any two-action iterated game. Each is a rule giving
// the probability of cooperating from the last round's two-action view
// (Game::last_moves); the draw comes from the counter-based RNG.
#include <algorithm>
#include <array>
#include <functional>

#include "draws.hpp"
#include "error.hpp"
#include "policy.hpp"
#include "strategy_rules.hpp"

namespace dilemma {
namespace {

using strategy::Kind;

struct Spec {
  const char* name;
  Kind kind;
  ParamSpecs params;
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> s = {
      {"always-cooperate", Kind::kAlwaysCooperate, {}},
      {"always-defect", Kind::kAlwaysDefect, {}},
      {"tit-for-tat", Kind::kTitForTat, {}},
      {"suspicious-tit-for-tat", Kind::kSuspiciousTitForTat, {}},
      {"generous-tit-for-tat",
       Kind::kGenerousTitForTat,
       {ParamSpec::number("forgiveness", 1.0 / 3.0, 0.0, 1.0,
                          "Probability of cooperating after the other defected.")}},
      {"grim-trigger", Kind::kGrimTrigger, {}},
      {"win-stay-lose-shift", Kind::kWinStayLoseShift, {}},
      {"alternate", Kind::kAlternate, {}},
      {"random", Kind::kRandom, {ParamSpec::number("p", 0.5, 0.0, 1.0, "Probability of cooperating.")}},
      {"zd-extortion",
       Kind::kZdExtortion,
       {ParamSpec::number("chi", 3.0, 1.0, 1e6,
                          "Extortion factor: own surplus = chi times the other's surplus over mutual defection."),
        ParamSpec::number("phi", 0.5, 1e-6, 1.0, "Scale, as a fraction of the largest valid one.")}},
  };
  return s;
}

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
  Scripted(const Spec& spec, const Params& p) : name_(spec.name), kind_(spec.kind) {
    const ParamSpecs& s = spec.params;
    switch (kind_) {
      case Kind::kGenerousTitForTat: forgive_ = p.number(spec_of(s, "forgiveness")); break;
      case Kind::kRandom: p_ = p.number(spec_of(s, "p")); break;
      case Kind::kZdExtortion:
        chi_ = p.number(spec_of(s, "chi"));
        phi_ = p.number(spec_of(s, "phi"));
        break;
      default: break;
    }
    p.reject_unknown();
    random_terms_ = strategy::log_terms(p_);
  }

  std::string name() const override { return name_; }
  int memory_size() const override { return strategy::memory_size(kind_); }

  void check(const Game& game, int agent) const override {
    if (!game.two_action())
      throw Error(codes::kUnsupported, "strategy '" + name_ + "' needs a two-action game; '" + game.info().id + "' is not");
    if (kind_ == Kind::kZdExtortion) zd_probabilities(game, agent, chi_, phi_);
  }

  int64_t preferred_block() const override { return 256; }

  bool scripted_rule(const Game& game, int agent, strategy::Rule* rule) const override {
    *rule = strategy::Rule{kind_, forgive_, p_, {0.0, 0.0, 0.0, 0.0}};
    if (kind_ == Kind::kZdExtortion) {
      const std::array<double, 4> zd = zd_probabilities(game, agent, chi_, phi_);
      std::copy(zd.begin(), zd.end(), rule->zd);
    }
    return true;
  }

  // Batch-first: per block of environments, the game's last moves in one
  // range call, the draws in one uniform_planes call, and the rule chosen once per
  // block (a loop per kind), never per environment.
  void act(const ActContext& c, int64_t b0, int64_t b1) const override {
    const Game& game = c.envs->game();
    const int coop = game.cooperate_action(), defect = game.defect_action();
    strategy::Rule rule{kind_, forgive_, p_, {0.0, 0.0, 0.0, 0.0}};
    if (kind_ == Kind::kZdExtortion) {
      const std::array<double, 4> zd = zd_probabilities(game, c.agent, chi_, phi_);
      std::copy(zd.begin(), zd.end(), rule.zd);
    }
    const bool stochastic = strategy::stochastic(kind_);
    // A strategy's cooperation probability takes few distinct values: keep the
    // log terms of the last one instead of recomputing them per environment.
    static const strategy::LogTerms sure = strategy::log_terms(1.0);
    strategy::LogTerms cache = sure;
    const strategy::LogTerms& fixed = random_terms_;
    constexpr int kBlock = 256;
    int8_t own[kBlock], other[kBlock];
    uint8_t cooperate[kBlock];
    double pc[kBlock];
    float u[kBlock];
    for (int64_t start = b0; start < b1; start += kBlock) {
      const int n = static_cast<int>(std::min<int64_t>(kBlock, b1 - start));
      const EnvRange range = c.envs->range(start, start + n);
      const int32_t* t = range.t + start;
      game.last_moves_range(range, c.agent, own, other);
      if (stochastic)
        rng::uniform_planes(c.seed, static_cast<uint32_t>(c.first_env + start), n, 0, static_cast<uint32_t>(c.step),
                            rng::kScripted, static_cast<uint32_t>(c.agent), 1, u);
      // Deterministic rules cooperate with probability 0 or 1: logp and
      // entropy are +0 (strategy::log_terms of 0 and 1).
      bool deterministic = true;
      switch (kind_) {
        case Kind::kAlwaysCooperate:
          for (int k = 0; k < n; ++k) cooperate[k] = 1;
          break;
        case Kind::kAlwaysDefect:
          for (int k = 0; k < n; ++k) cooperate[k] = 0;
          break;
        case Kind::kTitForTat:
          for (int k = 0; k < n; ++k) cooperate[k] = own[k] < 0 || other[k] == 0;
          break;
        case Kind::kSuspiciousTitForTat:
          for (int k = 0; k < n; ++k) cooperate[k] = own[k] >= 0 && other[k] == 0;
          break;
        case Kind::kWinStayLoseShift:
          for (int k = 0; k < n; ++k) cooperate[k] = own[k] < 0 || own[k] == other[k];
          break;
        case Kind::kAlternate:
          for (int k = 0; k < n; ++k) cooperate[k] = t[k] % 2 == 0;
          break;
        case Kind::kGrimTrigger:
          for (int k = 0; k < n; ++k) {
            int32_t* memory = c.memory + (start + k);
            if (t[k] == 0) memory[0] = 0;
            if (own[k] >= 0 && other[k] == 1) memory[0] = 1;
            cooperate[k] = memory[0] == 0;
          }
          break;
        case Kind::kRandom:
          deterministic = false;
          for (int k = 0; k < n; ++k) cooperate[k] = strategy::cooperates(p_, u[k]);
          for (int k = 0; k < n; ++k) {
            const int64_t i = (start + k) * c.out_stride + c.agent;
            c.actions[i] = cooperate[k] ? coop : defect;
            c.logp[i] = cooperate[k] ? fixed.log_c : fixed.log_d;
            c.entropy[i] = fixed.entropy;
          }
          break;
        case Kind::kGenerousTitForTat:
        case Kind::kZdExtortion:
          deterministic = false;
          for (int k = 0; k < n; ++k) pc[k] = strategy::cooperate_probability(rule, own[k], other[k], t[k], nullptr);
          for (int k = 0; k < n; ++k) {
            const bool yes = strategy::cooperates(pc[k], stochastic ? u[k] : 0.0f);
            if (pc[k] != cache.p) cache = strategy::log_terms(pc[k]);
            const int64_t i = (start + k) * c.out_stride + c.agent;
            c.actions[i] = yes ? coop : defect;
            c.logp[i] = yes ? cache.log_c : cache.log_d;
            c.entropy[i] = cache.entropy;
          }
          break;
      }
      if (!deterministic) continue;
      for (int k = 0; k < n; ++k) {
        const int64_t i = (start + k) * c.out_stride + c.agent;
        c.actions[i] = cooperate[k] ? coop : defect;
        c.logp[i] = 0.0f;
        c.entropy[i] = 0.0f;
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
  strategy::LogTerms random_terms_{};  // log terms of p_, for kRandom
};

[[noreturn]] void unknown_strategy(const std::string& name);

}  // namespace

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& s : specs()) out.emplace_back(s.name);
    for (const auto& n : trust_and_split_agent_names()) out.push_back(n);
    return out;
  }();
  return names;
}

std::shared_ptr<const Policy> make_strategy(const std::string& name, const Params& params) {
  for (const auto& s : specs())
    if (name == s.name) return std::make_shared<Scripted>(s, params);
  if (auto agent = make_trust_and_split_agent(name, params)) return agent;
  unknown_strategy(name);
}

namespace {
void unknown_strategy(const std::string& name) {
  std::string known;
  for (const auto& n : strategy_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error(codes::kUnknownStrategy, "unknown strategy '" + name + "' (known: " + known + ")");
}
}  // namespace

const ParamSpecs& strategy_params(const std::string& name) {
  for (const auto& s : specs())
    if (name == s.name) return s.params;
  static const ParamSpecs none;
  for (const auto& n : trust_and_split_agent_names())
    if (name == n) return none;
  unknown_strategy(name);
}

}  // namespace dilemma
