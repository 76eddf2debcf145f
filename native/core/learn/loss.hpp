// Policy losses and their gradients with respect to the logits, over N rows
// of a softmax policy with A actions (row-major [N, A] float32 logits). The
// engine's trainer and custom trainers (through the addon) call the same
// functions. Arguments are checked first (dilemma::Error, nothing written on
// failure); results are bit-identical for any thread count. threads <= 0
// means default_threads().
#pragma once

#include <cstdint>

#include "loss_math.hpp"

namespace dilemma::learn {

// What the weights w_i = m_i / N_eff divide by.
enum class LossNormalize : int {
  kMask = 0,      // N_eff = the number of live rows
  kRows = 1,      // N_eff = N, padding included
  kConstant = 2,  // N_eff = LossTerms::normalizer
};

struct LossTerms {
  LossObjective objective = LossObjective::kReinforce;
  float ratio_cap = 2.0f;    // REINFORCE: cap of the detached ratio, > 0 (+inf: no cap)
  float clip = 0.2f;         // PPO: epsilon in [0, 1)
  float entropy_coef = 0.0f; // any finite number (negative penalises entropy)
  float kl_coef = 0.0f;      // >= 0; > 0 needs a reference
  LossNormalize normalize = LossNormalize::kMask;
  double normalizer = 1.0;   // finite, > 0; read only for kConstant
};

// The loss as minimised and its parts, each a weighted sum over live rows:
//   loss = policy - entropy_coef * entropy + kl_coef * kl
struct LossResult {
  double loss = 0.0;
  double policy = 0.0;            // sum_i w_i policy_i
  double entropy = 0.0;           // sum_i w_i H(p_i)
  double kl = 0.0;                // sum_i w_i k3_i; 0 without a reference
  double clipped_fraction = 0.0;  // live rows capped (REINFORCE) or clipped (PPO) / live rows; 0 if none
  int64_t live_rows = 0;
  double normalizer = 0.0;        // N_eff as used (0 when there is nothing to divide)
};

// Row i is live when its mask is 1 (or mask is null) and its action is not -1
// (the padding of an ended episode). Only live rows are read beyond their
// mask and action; other rows contribute nothing and get a zero gradient.
//
// logits, ref_logits, dlogits: [N, A]; actions, credits, mask,
//   behavior_logp, ref_logp: [N]. mask, behavior_logp, ref_logits and
//   ref_logp may be null; PPO needs behavior_logp; at most one of ref_logits
//   and ref_logp. dlogits is overwritten and may be logits.
//
// Errors (ERR_INVALID_ARGUMENT unless noted), naming the argument and row:
//   N < 1, A < 1, more than 2^31 - 1 elements (ERR_TOO_LARGE), null arrays,
//   bad options, mask values other than 0 and 1, an action outside [-1, A)
//   on a row whose mask is 1, and non-finite logits, reference logits,
//   credits, behaviour or reference log-probabilities on a live row.
LossResult policy_loss(const float* logits, int64_t N, int A, const int32_t* actions, const float* credits,
                       const uint8_t* mask, const float* behavior_logp, const float* ref_logits,
                       const float* ref_logp, const LossTerms& terms, float* dlogits, int threads = 0);

// out[i, k] = z_ik - logsumexp(z_i) over [N, A]; out may be logits. Every
// logit must be finite.
void log_softmax(const float* logits, int64_t N, int A, float* out, int threads = 0);

}  // namespace dilemma::learn
