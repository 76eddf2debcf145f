#include "scripted_matrix.hpp"

#include <algorithm>
#include <cstring>

#include "draws.hpp"

namespace dilemma {

const matrix::Rules* scripted_matrix_rules(const Game& game, int* history) {
  const matrix::Rules* rules = game.matrix_rules(history);
  if (!rules || game.cooperate_action() != 0 || game.defect_action() != 1 || game.stat_count() != 0) return nullptr;
  return rules;
}

bool plan_scripted_matrix(const Game& game, const std::vector<std::shared_ptr<const Policy>>& policies,
                          ScriptedMatrixPlan* plan) {
  if (policies.size() != 2 || !policies[0] || !policies[1]) return false;
  int history = 0;
  const matrix::Rules* rules = scripted_matrix_rules(game, &history);
  if (!rules) return false;
  for (int a = 0; a < 2; ++a) {
    if (!policies[a]->scripted_rule(game, a, &plan->rule[a])) return false;
    plan->stochastic[a] = strategy::stochastic(plan->rule[a].kind);
  }
  plan->rules = rules;
  plan->history = history;
  plan->max_steps = game.info().max_steps;
  return true;
}

namespace {

// One environment's episode, a step at a time: step(t) plays round t and
// says whether the episode ended with it; s is the game state (what the
// agents observe before the next step). Callers keep their sums in their own
// locals, so they stay in registers.
template <int kH>  // the history length when known at compile time (1, the default game); 0: plan.history
struct Episode {
  const ScriptedMatrixPlan& plan;
  uint64_t seed;
  uint32_t stream, index;  // the game's stream, and the rollout index the strategies draw at
  int32_t s[matrix::kMaxHistory];
  int32_t memory[2] = {0, 0};
  int move[2];
  double p[2];
  float rewards[2];
  int u_n = kBlock;

  Episode(const ScriptedMatrixPlan& pl, uint64_t sd, uint32_t st, uint32_t ix) : plan(pl), seed(sd), stream(st), index(ix) {
    matrix::reset(s, history());
  }
  int history() const { return kH > 0 ? kH : plan.history; }

  // Both seats' scripted draws are words 0 and 1 of one Philox call (slots
  // 0 and 1), computed for a block of rounds at a time (rng::uniform_steps,
  // vectorised over the rounds) when a seat is stochastic.
  static constexpr int kBlock = 64;
  float u[2 * kBlock];
  int block_start = -kBlock;

  bool step(int t) {
    for (int a = 0; a < 2; ++a) {
      int own, other;
      matrix::last_moves(s, a, &own, &other);
      p[a] = strategy::cooperate_probability(plan.rule[a], own, other, t, &memory[a]);
    }
    const bool draws = plan.stochastic[0] || plan.stochastic[1];
    if (draws && t >= block_start + kBlock) {
      block_start = t;
      const int n = std::min(kBlock, plan.max_steps - t);
      rng::uniform_steps(seed, index, 0, static_cast<uint32_t>(t), std::max(n, 1), rng::kScripted, 0, 2, u);
      u_n = std::max(n, 1);
    }
    for (int a = 0; a < 2; ++a)
      move[a] = strategy::cooperates(p[a], plan.stochastic[a] ? u[a * u_n + (t - block_start)] : 0.0f) ? 0 : 1;
    const bool ended = matrix::step(*plan.rules, s, history(), t, move[0], move[1], rewards,
                                    matrix::DrawKey{seed, stream, 0, static_cast<uint32_t>(t)});
    return ended || t + 1 >= plan.max_steps;
  }
};

// A seat's log terms per probability: a rule takes at most five distinct
// values (zd-extortion), so each is computed once per call.
struct LogCache {
  strategy::LogTerms terms[6];
  int count = 0;
  const strategy::LogTerms& at(double p) {
    for (int k = 0; k < count; ++k)
      if (terms[k].p == p) return terms[k];
    const int k = count < 6 ? count++ : 5;
    terms[k] = strategy::log_terms(p);
    return terms[k];
  }
};

template <int kH>
void rollout_rows(const ScriptedMatrixPlan& plan, const RolloutOptions& o, int T, int64_t b0, int64_t b1,
                  const TrajectoryView& out) {
  const int H = kH > 0 ? kH : plan.history, O = matrix::kSlot * H;
  LogCache cache[2];
  // Deterministic rules choose with probability 1: logp and entropy are +0
  // (strategy::log_terms of 0 and 1); random has one probability throughout.
  const bool sure[2] = {!plan.stochastic[0], !plan.stochastic[1]};
  strategy::LogTerms fixed[2];
  bool constant[2];
  for (int a = 0; a < 2; ++a) {
    constant[a] = plan.rule[a].kind == strategy::Kind::kRandom;
    fixed[a] = strategy::log_terms(constant[a] ? plan.rule[a].p : 1.0);
  }
  for (int64_t b = b0; b < b1; ++b) {
    const uint32_t stream = o.groups.empty() ? static_cast<uint32_t>(b) : o.groups[b];
    Episode<kH> e(plan, o.seed, stream, static_cast<uint32_t>(b));
    int taken = 0;
    for (int t = 0; t < T; ++t) {
      const int64_t row = b * T + t;
      float* obs = out.obs + row * 2 * O;
      for (int i = 0; i < 2 * O; ++i) obs[i] = 0.0f;
      for (int k = 0; k < H; ++k) {
        obs[k * matrix::kSlot + matrix::observation_index(e.s[k], 0)] = 1.0f;
        obs[O + k * matrix::kSlot + matrix::observation_index(e.s[k], 1)] = 1.0f;
      }
      const bool done = e.step(t);
      for (int a = 0; a < 2; ++a) {
        float logp = 0.0f, entropy = 0.0f;
        if (!sure[a]) {
          const strategy::LogTerms& lt = constant[a] ? fixed[a] : cache[a].at(e.p[a]);
          logp = e.move[a] == 0 ? lt.log_c : lt.log_d;
          entropy = lt.entropy;
        }
        out.actions[row * 2 + a] = e.move[a];
        out.logp[row * 2 + a] = logp;
        out.entropy[row * 2 + a] = entropy;
        out.rewards[row * 2 + a] = e.rewards[a];
      }
      out.mask[row] = 1;
      out.dones[row] = done;
      taken = t + 1;
      if (done) break;
    }
    // Padding after the episode's end.
    for (int t = taken; t < T; ++t) {
      const int64_t row = b * T + t;
      std::memset(out.obs + row * 2 * O, 0, sizeof(float) * 2 * O);
      for (int a = 0; a < 2; ++a) {
        out.actions[row * 2 + a] = -1;
        out.logp[row * 2 + a] = 0.0f;
        out.entropy[row * 2 + a] = 0.0f;
        out.rewards[row * 2 + a] = 0.0f;
      }
      out.mask[row] = 0;
      out.dones[row] = 0;
    }
  }
}

}  // namespace

void scripted_matrix_rollout(const ScriptedMatrixPlan& plan, const RolloutOptions& o, int T, int64_t b0, int64_t b1,
                             const TrajectoryView& out) {
  if (plan.history == 1)
    rollout_rows<1>(plan, o, T, b0, b1, out);
  else
    rollout_rows<0>(plan, o, T, b0, b1, out);
}

namespace {

template <int kH>
void summary_rows(const ScriptedMatrixPlan& plan, const RolloutOptions& o, int T, int64_t b0, int64_t b1,
                  RolloutSummary* s) {
  double ret0 = s->returns[0], ret1 = s->returns[1];
  int64_t coop0 = 0, coop1 = 0, live = 0;
  for (int64_t b = b0; b < b1; ++b) {
    const uint32_t stream = o.groups.empty() ? static_cast<uint32_t>(b) : o.groups[b];
    Episode<kH> e(plan, o.seed, stream, static_cast<uint32_t>(b));
    for (int t = 0; t < T; ++t) {
      const bool done = e.step(t);
      ret0 += e.rewards[0];
      ret1 += e.rewards[1];
      coop0 += e.move[0] == 0;
      coop1 += e.move[1] == 0;
      ++live;
      if (done) break;
    }
  }
  const double ret[2] = {ret0, ret1};
  const int64_t coop[2] = {coop0, coop1};
  s->returns[0] = ret[0];
  s->returns[1] = ret[1];
  s->action0[0] += static_cast<double>(coop[0]);
  s->action0[1] += static_cast<double>(coop[1]);
  s->live += live;
}

}  // namespace

void scripted_matrix_summary(const ScriptedMatrixPlan& plan, const RolloutOptions& o, int T, int64_t b0, int64_t b1,
                             RolloutSummary* s) {
  if (plan.history == 1)
    summary_rows<1>(plan, o, T, b0, b1, s);
  else
    summary_rows<0>(plan, o, T, b0, b1, s);
}

}  // namespace dilemma
