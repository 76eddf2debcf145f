// Per-row policy-loss math shared by the CPU path (loss.cpp) and the CUDA
// kernels: one row of A logits at a time, float32 arithmetic in a fixed
// order, no allocation and no exceptions. The batched code checks its
// arguments first, so these functions assume finite logits and an action in
// [0, A).
//
// Every term except the entropy bonus depends on the logits only through
// log pi(a) of the taken action, whose gradient is onehot(a) - p. So each
// term reports its value and its derivative with respect to log pi(a); the
// derivatives are summed and the logits gradient is written in one pass.
#pragma once

#include <math.h>
#include <stdint.h>

#include "../float_math.hpp"
#include "../hd.hpp"

namespace dilemma::learn {

enum class LossObjective : int { kReinforce = 0, kPpo = 1 };

// A row's softmax as log p_k = (z_k - max) - log_sum. The max is kept apart
// from log_sum (rather than folded into one logsumexp) so that log p_k does
// not lose digits to a large common offset of the logits. entropy is
// H = -sum_k p_k log p_k.
struct SoftmaxStats {
  float max;
  float log_sum;
  float entropy;
};

DLM_HD float row_max(const float* z, int64_t A) {
  float m = z[0];
  for (int64_t k = 1; k < A; ++k) m = z[k] > m ? z[k] : m;
  return m;
}

// sum_k e_k and the spread -sum_k e_k (z_k - m), with e_k = exp(z_k - m)
// read from e when given (the CPU loss computes the weights of many rows in
// one vector pass) or computed here: the same values either way.
struct SoftmaxSums {
  float sum;
  float spread;
};

DLM_HD SoftmaxSums softmax_sums_row(const float* z, int64_t A, float m, const float* e) {
  float s = 0.0f, spread = 0.0f;
  for (int64_t k = 0; k < A; ++k) {
    const float y = z[k] - m;
    const float ek = e ? e[k] : float_math::exp_nonpositive_or_zero(y);
    s += ek;
    // e == 0 also covers y == -inf (a spread beyond the float range), where
    // the product would be NaN instead of its limit 0.
    if (ek > 0.0f) spread -= ek * y;
  }
  return {s, spread};
}

// H = log_sum + sum e_k (max - z_k) / sum e_k adds two non-negative numbers,
// so it cancels nothing even for a near-uniform row.
DLM_HD SoftmaxStats softmax_stats_of(float m, SoftmaxSums u, float log_sum) {
  return {m, log_sum, log_sum + u.spread / u.sum};
}

// Two passes: the max, then the sums.
DLM_HD SoftmaxStats softmax_stats_row(const float* z, int64_t A) {
  const float m = row_max(z, A);
  const SoftmaxSums u = softmax_sums_row(z, A, m, nullptr);
  return softmax_stats_of(m, u, float_math::log_positive(u.sum));
}

DLM_HD float log_prob_element(float z, const SoftmaxStats& st) { return (z - st.max) - st.log_sum; }

// p = e^lp for a log-probability lp <= 0.
DLM_HD float prob_of_log(float lp) { return float_math::exp_nonpositive_or_zero(lp); }

// out may be z.
DLM_HD void log_softmax_row(const float* z, int64_t A, float* out) {
  const SoftmaxStats st = softmax_stats_row(z, A);
  for (int64_t k = 0; k < A; ++k) out[k] = log_prob_element(z[k], st);
}

// A term's value and its derivative with respect to log pi(a).
struct TermValue {
  float loss;
  float dlogp;
};

// rho = min(exp(logp - behavior_logp), cap): the importance weight of an
// off-policy sample, detached (a constant for the gradient) and capped so
// that one stale sample cannot dominate the batch. A ratio that overflows to
// +inf is capped like any other.
DLM_HD float capped_ratio(float logp, float behavior_logp, float cap, bool* capped) {
  const float r = expf(logp - behavior_logp);
  *capped = r > cap;
  return *capped ? cap : r;
}

// REINFORCE on a credit c with a detached ratio rho: L = -c rho log pi(a).
DLM_HD TermValue reinforce_term(float logp, float credit, float rho) {
  return {-credit * rho * logp, -credit * rho};
}

// PPO's clipped surrogate with r = exp(logp - behavior_logp):
//   L = -min(r c, clip(r, 1 - eps, 1 + eps) c),  dL/dlogp = -r c  (dr/dlogp = r)
// when the unclipped product is the minimum, 0 when the clipped one is
// strictly smaller. Ties go to the unclipped term, so the gradient flows for
// every r in [1 - eps, 1 + eps], bounds included: the same as automatic
// differentiation of min(r c, clamp(r, lo, hi) c), where a tie splits the
// gradient between two equal branches and clamp passes it at its bounds.
DLM_HD TermValue ppo_term_ratio(float r, float credit, float eps, bool* clipped) {
  const float lo = 1.0f - eps, hi = 1.0f + eps;
  const float rc = r < lo ? lo : (r > hi ? hi : r);
  const float unclipped = r * credit, bounded = rc * credit;
  *clipped = bounded < unclipped;
  if (*clipped) return {-bounded, 0.0f};
  return {-unclipped, -unclipped};
}

DLM_HD TermValue ppo_term(float logp, float credit, float behavior_logp, float eps, bool* clipped) {
  return ppo_term_ratio(expf(logp - behavior_logp), credit, eps, clipped);
}

// KL to a reference policy, k3 estimator on the sampled action:
//   d = log pi_ref(a) - log pi(a),  k3 = e^d - 1 - d,  dk3/dlogp = 1 - e^d.
// expm1 keeps e^d - 1 accurate for the small d of a policy near its
// reference (e^d would round it away). k3 is unbounded: e^d overflows once
// the reference favours the action e^88 times more than the policy.
DLM_HD TermValue kl_k3_term(float logp, float ref_logp) {
  const float d = ref_logp - logp;
  const float em1 = expm1f(d);
  return {em1 - d, -em1};
}

// dz_k = g_logp ([k == a] - p_k) + g_entropy dH/dz_k, with
// dH/dz_k = -p_k (log p_k + H). g_logp = dL/dlog pi(a) and g_entropy = dL/dH,
// both already weighted. dz may be z: each element is read before it is
// written.
// probs: p_k of this row when computed beforehand (in a vector pass over
// many rows), or null to compute them here.
DLM_HD void policy_grad_row(const float* z, int64_t A, const SoftmaxStats& st, const float* probs, int32_t action,
                            float g_logp, float g_entropy, float* dz) {
  for (int64_t k = 0; k < A; ++k) {
    const float lp = log_prob_element(z[k], st);
    const float p = probs ? probs[k] : prob_of_log(lp);
    float g = g_logp * ((k == action ? 1.0f : 0.0f) - p);
    if (p > 0.0f) g -= g_entropy * p * (lp + st.entropy);
    dz[k] = g;
  }
}

// Per-call constants of the loss; the batched code fills them from LossTerms.
struct LossRowOptions {
  LossObjective objective;
  float ratio_cap;
  float clip;
  float entropy_coef;
  float kl_coef;
};

// One row's unweighted values: the policy term, the entropy H and the k3 KL
// (0 without a reference), and whether the ratio was capped (REINFORCE) or
// the clipped surrogate was the minimum (PPO).
struct RowLoss {
  float policy;
  float entropy;
  float kl;
  bool clipped;
};

// One live row (mask 1, action in [0, A)). Writes weight * dL_i/dz into dz
// and returns the unweighted per-row values, which the caller sums in a
// fixed order and scales by the same weight. behavior_logp, ref_logp point
// at this row's scalar and ref_z at its reference logits, each null when not
// given (PPO requires behavior_logp). dz may be z.
//
//   L_i = policy_i - entropy_coef H_i + kl_coef k3_i
//
// st and probs: the row's softmax (softmax_stats_row) and probabilities
// (prob_of_log of each log-probability) when computed beforehand; probs may
// be null.
DLM_HD RowLoss policy_loss_row_given(const float* z, int64_t A, const SoftmaxStats& st, const float* probs,
                                     int32_t action, float credit, float weight, const float* behavior_logp,
                                     const float* ref_z, const float* ref_logp, const LossRowOptions& o, float* dz) {
  const float logp = log_prob_element(z[action], st);

  RowLoss out{0.0f, st.entropy, 0.0f, false};
  TermValue pol;
  if (o.objective == LossObjective::kPpo) {
    pol = ppo_term(logp, credit, *behavior_logp, o.clip, &out.clipped);
  } else {
    const float rho = behavior_logp ? capped_ratio(logp, *behavior_logp, o.ratio_cap, &out.clipped) : 1.0f;
    pol = reinforce_term(logp, credit, rho);
  }
  out.policy = pol.loss;

  float dlogp = pol.dlogp;
  if (ref_z || ref_logp) {
    float ref;
    if (ref_z) {
      const SoftmaxStats rst = softmax_stats_row(ref_z, A);
      ref = log_prob_element(ref_z[action], rst);
    } else {
      ref = *ref_logp;
    }
    const TermValue kl = kl_k3_term(logp, ref);
    out.kl = kl.loss;
    // A KL that is only reported must not turn an overflowed e^d into a NaN gradient.
    if (o.kl_coef != 0.0f) dlogp += o.kl_coef * kl.dlogp;
  }
  policy_grad_row(z, A, st, probs, action, weight * dlogp, -weight * o.entropy_coef, dz);
  return out;
}

DLM_HD RowLoss policy_loss_row(const float* z, int64_t A, int32_t action, float credit, float weight,
                               const float* behavior_logp, const float* ref_z, const float* ref_logp,
                               const LossRowOptions& o, float* dz) {
  return policy_loss_row_given(z, A, softmax_stats_row(z, A), nullptr, action, credit, weight, behavior_logp, ref_z,
                               ref_logp, o, dz);
}

}  // namespace dilemma::learn
