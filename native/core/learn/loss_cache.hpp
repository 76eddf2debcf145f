// The per-state part of policy_loss_row for rows that share their logits: a
// tabular policy gives every row of one state the same logits, so the
// softmax, the log-probabilities and the importance ratio of each action are
// computed once per state, with policy_loss_row's own functions, and the
// trainer's fused path (trainer_fused.cpp) sums the credit-dependent part in
// closed form. No reference policy: callers with a KL term use
// policy_loss_row.
#pragma once

#include <stdint.h>

#include "loss_math.hpp"

namespace dilemma::learn {

// Fills lp, p, ratio and capped (A values each) for logits z and behaviour
// log-probabilities behavior[A] (null: no behaviour policy); returns H.
DLM_HD float prepare_cached_row(const float* z, int64_t A, const float* behavior, const LossRowOptions& o, float* lp,
                                float* p, float* ratio, uint8_t* capped) {
  const SoftmaxStats st = softmax_stats_row(z, A);
  for (int64_t k = 0; k < A; ++k) {
    lp[k] = log_prob_element(z[k], st);
    p[k] = prob_of_log(lp[k]);
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

}  // namespace dilemma::learn
