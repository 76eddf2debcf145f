// Drawing an action from logits: temperature, greedy choice, legal-action
// masks, and the log-probability and entropy of the distribution the action
// came from. Shared by every learned policy, the trainer's fused path (which
// prepares each distinct row once) and device code.
#pragma once

#include <cmath>
#include <cstdint>

#include "float_math.hpp"
#include "hd.hpp"

namespace dilemma {

struct Sample {
  int action;     // -1 when no action is legal
  float logp;     // log-probability of action under the tempered, masked softmax
  float entropy;  // entropy of that distribution
  bool finite;    // false when a legal logit is NaN or infinite
};

// The tempered, masked softmax of one row of n logits, ready for draws:
// weights e_i = exp(z_i / T - top) (float, as the sums below), their total,
// log_total and the entropy. A learned policy prepares a row once per
// distinct row of logits (a tabular policy: once per state) and draws from it
// with choose_action as often as needed.
struct Prepared {
  int best;         // most probable legal action (lowest index on ties); -1 when none is legal
  bool finite;      // false when a legal logit is NaN or infinite (nothing else is set)
  float top;        // max_i z_i / T over legal actions
  float total;      // sum of the legal weights
  float log_total;  // log(total)
  float entropy;
};

// z / T. Dividing by a temperature of 1 changes no float, so that division
// (the usual case) is skipped.
DLM_HD float tempered(float z, float temperature) { return temperature == 1.0f ? z : z / temperature; }

// The weight e^y of a tempered logit y = z / T - top <= 0: exactly 1 at the
// top, and 0 below e^-87, where it cannot move the total (at least 1) or a
// draw.
DLM_HD float softmax_weight(float y) { return float_math::exp_nonpositive_or_zero(y); }

// prepare_logits's first pass: the top tempered legal logit and its index
// (best -1 when no action is legal); finite false, and nothing else set,
// when a legal logit is NaN or infinite.
DLM_HD Prepared top_logit(const float* z, int n, float temperature, const uint8_t* legal) {
  Prepared p{-1, true, -INFINITY, 0.0f, 0.0f, 0.0f};
  for (int i = 0; i < n; ++i) {
    if (legal && !legal[i]) continue;
    const float x = z[i];
    if (!(x > -INFINITY && x < INFINITY)) {
      p.finite = false;
      return p;
    }
    const float y = tempered(x, temperature);
    if (y > p.top) {
      p.top = y;
      p.best = i;
    }
  }
  return p;
}

// The entropy of a row with its top, total and log_total set:
// H = log_total - sum_i p_i (z_i / T - top), with p_i = e_i / total. e: the
// weights, or null to recompute them. The top logit's term is exactly 0 and
// is skipped.
DLM_HD float prepared_entropy(const Prepared& p, const float* z, int n, float temperature, const uint8_t* legal,
                              const float* e) {
  float h = p.log_total;
  for (int i = 0; i < n; ++i) {
    if (legal && !legal[i]) continue;
    const float y = tempered(z[i], temperature) - p.top;
    if (y == 0.0f) continue;
    const float w = e ? e[i] : softmax_weight(y);
    // A zero weight adds nothing, also where y is -inf (a spread beyond the
    // float range), whose product would be NaN instead of its limit 0.
    if (w > 0.0f) h -= w / p.total * y;
  }
  return h;
}

// e: n floats that receive the weights (0 for illegal actions), or null to
// recompute them where needed (large action spaces).
DLM_HD Prepared prepare_logits(const float* z, int n, float temperature, const uint8_t* legal, float* e) {
  Prepared p = top_logit(z, n, temperature, legal);
  if (!p.finite || p.best < 0) return p;
  for (int i = 0; i < n; ++i) {
    const float y = tempered(z[i], temperature) - p.top;
    const float w = legal && !legal[i] ? 0.0f : softmax_weight(y);
    if (e) e[i] = w;
    p.total += w;
  }
  p.log_total = float_math::log_positive(p.total);
  p.entropy = prepared_entropy(p, z, n, temperature, legal, e);
  return p;
}

// log pi(i) of a prepared row.
DLM_HD float prepared_logp(const Prepared& p, const float* z, int i, float temperature) {
  return (tempered(z[i], temperature) - p.top) - p.log_total;
}

// The action a uniform u in [0, 1) picks from a prepared row (inverse CDF
// over the legal actions in index order); greedy takes p.best.
DLM_HD int choose_action(const Prepared& p, const float* z, const float* e, int n, float temperature, bool greedy,
                         float u, const uint8_t* legal) {
  if (greedy || p.best < 0) return p.best;
  const float target = u * p.total;
  float acc = 0.0f;
  int chosen = p.best;
  for (int i = 0; i < n; ++i) {
    if (legal && !legal[i]) continue;
    const float y = tempered(z[i], temperature) - p.top;
    acc += e ? e[i] : softmax_weight(y);
    chosen = i;
    if (target < acc) break;
  }
  return chosen;
}

// z: n logits; legal: n flags or nullptr (all legal); u: a uniform in [0, 1).
// Greedy picks the most probable legal action (lowest index on ties). Float
// arithmetic throughout: the weights of small action spaces (the usual case)
// are computed once, larger ones recomputed instead of allocating.
DLM_HD Sample sample_logits(const float* z, int n, float temperature, bool greedy, float u, const uint8_t* legal) {
  constexpr int kCached = 64;
  float cache[kCached];
  float* e = n <= kCached ? cache : nullptr;
  const Prepared p = prepare_logits(z, n, temperature, legal, e);
  Sample s{-1, 0.0f, 0.0f, p.finite};
  if (!p.finite || p.best < 0) return s;
  s.action = choose_action(p, z, e, n, temperature, greedy, u, legal);
  s.logp = prepared_logp(p, z, s.action, temperature);
  s.entropy = p.entropy;
  return s;
}

}  // namespace dilemma
