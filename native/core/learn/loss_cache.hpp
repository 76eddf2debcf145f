// policy_loss_row for rows that share their logits: a tabular policy gives
// every row of one state the same logits, so everything but the credit's
// part (softmax, log-probabilities, the importance ratio of each action) is
// computed once per state and action. The arithmetic per row is that of
// policy_loss_row, term by term, so both give the same bits (tested).
// No reference policy: callers with a KL term use policy_loss_row.
#pragma once

#include <stdint.h>

#include "loss_math.hpp"

namespace dilemma::learn {

// One row of logits, prepared: lp and p hold A values each (log p_k and
// p_k = exp(log p_k)), ratio and capped one per action: the detached
// capped ratio (REINFORCE) or the plain ratio (PPO) against the behaviour
// log-probability of that action, or 1 without a behaviour policy.
struct CachedRow {
  float entropy;
  const float* lp;
  const float* p;
  const float* ratio;
  const uint8_t* capped;
};

// Fills lp, p, ratio and capped (A values each) for logits z and behaviour
// log-probabilities behavior[A] (null: no behaviour policy); returns H.
DLM_HD float prepare_cached_row(const float* z, int64_t A, const float* behavior, const LossRowOptions& o, float* lp,
                                float* p, float* ratio, uint8_t* capped) {
  const SoftmaxStats st = softmax_stats_row(z, A);
  for (int64_t k = 0; k < A; ++k) {
    lp[k] = log_prob_element(z[k], st);
    p[k] = expf(lp[k]);
    bool c = false;
    if (!behavior)
      ratio[k] = 1.0f;
    else if (o.objective == LossObjective::kPpo)
      ratio[k] = expf(lp[k] - behavior[k]);
    else
      ratio[k] = capped_ratio(lp[k], behavior[k], o.ratio_cap, &c);
    capped[k] = c;
  }
  return st.entropy;
}

DLM_HD RowLoss cached_loss_row(const CachedRow& c, int64_t A, int32_t action, float credit, float weight,
                               const LossRowOptions& o, float* dz) {
  RowLoss out{0.0f, c.entropy, 0.0f, false};
  TermValue pol;
  if (o.objective == LossObjective::kPpo) {
    pol = ppo_term_ratio(c.ratio[action], credit, o.clip, &out.clipped);
  } else {
    out.clipped = c.capped[action] != 0;
    pol = reinforce_term(c.lp[action], credit, c.ratio[action]);
  }
  out.policy = pol.loss;
  const float g_logp = weight * pol.dlogp, g_entropy = -weight * o.entropy_coef;
  // policy_grad_row with log p_k and p_k read from the cache.
  for (int64_t k = 0; k < A; ++k) {
    const float lp = c.lp[k], p = c.p[k];
    float g = g_logp * ((k == action ? 1.0f : 0.0f) - p);
    if (p > 0.0f) g -= g_entropy * p * (lp + c.entropy);
    dz[k] = g;
  }
  return out;
}

}  // namespace dilemma::learn
