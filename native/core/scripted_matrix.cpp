#include "scripted_matrix.hpp"

#include <cstring>

namespace dilemma {

bool plan_scripted_matrix(const Game& game, const std::vector<std::shared_ptr<const Policy>>& policies,
                          ScriptedMatrixPlan* plan) {
  if (policies.size() != 2 || !policies[0] || !policies[1]) return false;
  int history = 0;
  const matrix::Rules* rules = game.matrix_rules(&history);
  if (!rules || game.cooperate_action() != 0 || game.defect_action() != 1 || game.stat_count() != 0) return false;
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

// One environment's episode: calls visit(t, obs_state, moves, p, rewards, done)
// after every taken step, with the state the agents observed before it.
struct Episode {
  const ScriptedMatrixPlan& plan;
  uint64_t seed;
  uint32_t stream, index;  // the game's stream, and the rollout index the strategies draw at

  // kH: the history length when known at compile time (1, the default
  // game), so that the state and observation loops unroll; 0: plan.history.
  template <int kH, typename Visit>
  void run(int T, Visit&& visit) const {
    const int H = kH > 0 ? kH : plan.history;
    int32_t s[matrix::kMaxHistory];
    matrix::reset(s, H);
    int32_t memory[2] = {0, 0};
    const bool draws = plan.stochastic[0] || plan.stochastic[1];
    for (int t = 0; t < T; ++t) {
      int32_t before[matrix::kMaxHistory];
      for (int k = 0; k < H; ++k) before[k] = s[k];
      double p[2];
      for (int a = 0; a < 2; ++a) {
        int own, other;
        matrix::last_moves(s, a, &own, &other);
        p[a] = strategy::cooperate_probability(plan.rule[a], own, other, t, &memory[a]);
      }
      // Both seats' scripted draws are words 0 and 1 of one Philox call (slots 0 and 1).
      rng::U32x4 w{{0, 0, 0, 0}};
      if (draws) w = rng::words(seed, index, 0, static_cast<uint32_t>(t), rng::kScripted, 0);
      int move[2];
      for (int a = 0; a < 2; ++a)
        move[a] = strategy::cooperates(p[a], plan.stochastic[a] ? rng::to_unit_float(w.v[a]) : 0.0f) ? 0 : 1;
      float rewards[2];
      const bool ended = matrix::step(*plan.rules, s, H, t, move[0], move[1], rewards,
                                      matrix::DrawKey{seed, stream, 0, static_cast<uint32_t>(t)});
      const bool done = ended || t + 1 >= plan.max_steps;
      visit(t, before, move, p, rewards, done);
      if (done) return;
    }
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
    const Episode episode{plan, o.seed, stream, static_cast<uint32_t>(b)};
    int taken = 0;
    episode.template run<kH>(T, [&](int t, const int32_t* s, const int* move, const double* p, const float* rewards,
                                    bool done) {
      const int64_t row = b * T + t;
      float* obs = out.obs + row * 2 * O;
      for (int i = 0; i < 2 * O; ++i) obs[i] = 0.0f;
      for (int k = 0; k < H; ++k) {
        obs[k * matrix::kSlot + matrix::observation_index(s[k], 0)] = 1.0f;
        obs[O + k * matrix::kSlot + matrix::observation_index(s[k], 1)] = 1.0f;
      }
      for (int a = 0; a < 2; ++a) {
        float logp = 0.0f, entropy = 0.0f;
        if (!sure[a]) {
          const strategy::LogTerms& lt = constant[a] ? fixed[a] : cache[a].at(p[a]);
          logp = move[a] == 0 ? lt.log_c : lt.log_d;
          entropy = lt.entropy;
        }
        out.actions[row * 2 + a] = move[a];
        out.logp[row * 2 + a] = logp;
        out.entropy[row * 2 + a] = entropy;
        out.rewards[row * 2 + a] = rewards[a];
      }
      out.mask[row] = 1;
      out.dones[row] = done;
      taken = t + 1;
    });
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

void scripted_matrix_summary(const ScriptedMatrixPlan& plan, const RolloutOptions& o, int T, int64_t b0, int64_t b1,
                             RolloutSummary* s) {
  double ret[2] = {s->returns[0], s->returns[1]};
  int64_t coop[2] = {0, 0}, live = 0;
  for (int64_t b = b0; b < b1; ++b) {
    const uint32_t stream = o.groups.empty() ? static_cast<uint32_t>(b) : o.groups[b];
    const Episode episode{plan, o.seed, stream, static_cast<uint32_t>(b)};
    episode.run<0>(T, [&](int, const int32_t*, const int* move, const double*, const float* rewards, bool) {
      ret[0] += rewards[0];
      ret[1] += rewards[1];
      coop[0] += move[0] == 0;
      coop[1] += move[1] == 0;
      ++live;
    });
  }
  s->returns[0] = ret[0];
  s->returns[1] = ret[1];
  s->action0[0] += static_cast<double>(coop[0]);
  s->action0[1] += static_cast<double>(coop[1]);
  s->live += live;
}

}  // namespace dilemma
