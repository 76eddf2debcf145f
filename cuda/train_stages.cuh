// The stages of one training iteration of the device trainer (train_kernels.cu)
// for an iterated 2x2 game with a tabular policy and a leave-one-out
// baseline: the fused CPU iteration (native/core/learn/trainer_fused.cpp)
// cut into the pieces a kernel thread runs. Every piece of per-row math is a
// DLM_HD function of the core: the game's rules and draws, sampling, the
// discounted returns, leave-one-out, the credit rows, the loss's per-state
// softmax and Adam.
//
// Written with DLM_HD, so that the parity test (tests/test_cuda_train.cpp)
// runs the same loops on the host against the CPU Trainer on any machine.
#pragma once

#include <math.h>
#include <stdint.h>

#include "credit_math.hpp"
#include "games/matrix_rules.hpp"
#include "hd.hpp"
#include "learn/adam_math.hpp"
#include "learn/loss_cache.hpp"
#include "rng.hpp"
#include "sampling.hpp"

namespace dilemma::cuda {

enum class TrainAlgorithm : int { kNaive = 0, kAdvantageAlignment = 1, kSumOfRewards = 2 };

// Per (state, action): credit sums of positive and negative credits and the
// counts of positive, negative and zero credits (trainer_fused.cpp's layout).
constexpr int kSumFields = 5;
// After the codes' sums, each chunk's part holds: sum |credit|, live steps,
// episode returns of both agents, cooperations of both agents.
constexpr int kExtraFields = 6;

// One state of the policy, prepared for draws (trainer_fused.cpp's SamplerRow).
struct TableRow {
  Prepared prep;
  float e[2];
  float z[2];
};

// Everything one iteration reads and writes; raw pointers to device memory
// (or host memory in the parity test).
struct TrainRun {
  matrix::Rules rules;
  int history;
  int64_t states;
  bool direct;  // one tabular block per remembered round: the state is read from the joint moves
  int blocks, block_size;
  uint64_t seed;
  int64_t B, T, BT;
  int64_t group_size, group_count;
  int64_t chunk;  // environments per part of the credit sums
  float gamma, beta, temperature;
  bool include_current, reward_past;
  credit::AaForm form;
  TrainAlgorithm algorithm;
  const TableRow* table;  // [states], both seats (self-play)
  float* returns[2];      // [A][B, T]: rewards, turned into returns-to-go
  float* rewards[2];      // [A][B, T]: a copy of the rewards when reward_past, else null
  uint8_t* live;          // [B, T]
  int32_t* codes;         // [2][B, T]: state * 2 + action per seat, -1 for padding
  int32_t* coop;          // [B, 2]
  double* reward_sum;     // [B, 2]
  double* group_sums;     // [2 or 4][groups, T]
  float* scratch;         // [chunks][5 T]
  double* parts;          // [chunks][fields()]
};

DLM_HD int64_t train_fields(int64_t states) { return states * 2 * kSumFields + kExtraFields; }
DLM_HD int64_t train_chunks(const TrainRun& r) { return (r.B + r.chunk - 1) / r.chunk; }

// Trainer::iteration_seed (trainer.cpp).
DLM_HD uint64_t train_iteration_seed(uint64_t seed, int64_t iteration, uint32_t purpose) {
  const rng::U32x4 v = rng::philox4x32(seed, static_cast<uint32_t>(iteration), static_cast<uint32_t>(iteration >> 32),
                                       purpose, static_cast<uint32_t>(rng::kInit) << 24);
  return (static_cast<uint64_t>(v.v[1]) << 32) | v.v[0];
}

// One state's sampler from its logits; false when a logit is not finite.
DLM_HD bool prepare_table_row(const float* z, float temperature, TableRow* row) {
  row->z[0] = z[0];
  row->z[1] = z[1];
  row->prep = prepare_logits(row->z, 2, temperature, nullptr, row->e);
  return row->prep.finite;
}

// Tabular::state_of over agent's observation of the joint-move history h.
template <int H>
DLM_HD int64_t train_state(const TrainRun& r, const int32_t* h, int agent) {
  int64_t state = 0, place = 1;
  if (r.direct) {
    for (int k = 0; k < H; ++k, place *= matrix::kSlot) state += matrix::observation_index(h[k], agent) * place;
    return state;
  }
  float obs[H * matrix::kSlot];
  matrix::observe(h, H, agent, obs);
  for (int j = 0; j < r.blocks; ++j, place *= r.block_size) {
    const float* block = obs + static_cast<int64_t>(j) * r.block_size;
    int best = 0;
    for (int i = 1; i < r.block_size; ++i)
      if (block[i] > block[best]) best = i;
    state += best * place;
  }
  return state;
}

// Environment b's episode (trainer_fused.cpp's play for one environment):
// rewards, the (state, action) codes of both seats, then the returns.
template <int H>
DLM_HD void train_play(const TrainRun& r, int64_t b) {
  const int64_t T = r.T, BT = r.BT;
  const uint32_t stream = static_cast<uint32_t>(r.group_size < r.B ? b / r.group_size : b);
  int32_t h[H];
  matrix::reset(h, H);
  bool alive = true;
  int32_t coop[2] = {0, 0};
  for (int64_t t = 0; t < T; ++t) {
    const int64_t i = b * T + t;
    if (!alive) {
      r.live[i] = 0;
      r.returns[0][i] = r.returns[1][i] = 0.0f;
      r.codes[i] = r.codes[BT + i] = -1;
      continue;
    }
    int move[2];
    int64_t state[2];
    for (int a = 0; a < 2; ++a) {
      state[a] = train_state<H>(r, h, a);
      const float u = rng::uniform(r.seed, static_cast<uint32_t>(b), 0, static_cast<uint32_t>(t), rng::kSample,
                                   static_cast<uint32_t>(a));
      const TableRow& row = r.table[state[a]];
      move[a] = u * row.prep.total < row.e[0] ? 0 : 1;
    }
    const matrix::DrawKey key{r.seed, stream, 0, static_cast<uint32_t>(t)};
    float rw[2];
    alive = !matrix::step(r.rules, h, H, static_cast<int>(t), move[0], move[1], rw, key);
    r.live[i] = 1;
    for (int a = 0; a < 2; ++a) {
      r.returns[a][i] = rw[a];
      coop[a] += move[a] == 0;
      r.codes[a * BT + i] = static_cast<int32_t>(state[a] * 2 + move[a]);
    }
  }
  for (int a = 0; a < 2; ++a) {
    float* ret = r.returns[a] + b * T;
    double total = 0.0;
    for (int64_t t = 0; t < T; ++t) total += ret[t];
    if (r.reward_past)
      for (int64_t t = 0; t < T; ++t) r.rewards[a][b * T + t] = ret[t];
    r.reward_sum[b * 2 + a] = total;
    r.coop[b * 2 + a] = coop[a];
    credit::discounted_returns_row(ret, ret, T, r.gamma);
  }
}

// Column t of series s (returns of agent s, or rewards of agent s - 2) summed
// over group g's environments in order (credit::leave_one_out's order).
DLM_HD void train_group_sum(const TrainRun& r, int64_t s, int64_t g, int64_t t) {
  const float* x = s < 2 ? r.returns[s] : r.rewards[s - 2];
  const int64_t b0 = g * r.group_size, b1 = b0 + r.group_size < r.B ? b0 + r.group_size : r.B;
  double sum = 0.0;
  for (int64_t b = b0; b < b1; ++b) sum += x[b * r.T + t];
  r.group_sums[(s * r.group_count + g) * r.T + t] = sum;
}

// trainer_fused.cpp's accumulate, without its bit tricks (a device has no
// branch predictor to spare).
DLM_HD void train_accumulate(double* part, int32_t code, float c) {
  double* q = part + static_cast<int64_t>(code) * kSumFields;
  if (c > 0.0f) {
    q[0] += c;
    q[2] += 1.0;
  } else if (c < 0.0f) {
    q[1] += c;
    q[3] += 1.0;
  } else {
    q[4] += 1.0;
  }
}

// Chunk c's environments: advantages, both seats' credits, and their sums
// per (state, action) with the chunk's metric sums into r.parts[c].
DLM_HD void train_credit_chunk(const TrainRun& r, int64_t c) {
  const int64_t T = r.T, BT = r.BT, codes = r.states * 2;
  double* part = r.parts + c * train_fields(r.states);
  for (int64_t i = 0; i < train_fields(r.states); ++i) part[i] = 0.0;
  double* extra = part + codes * kSumFields;
  float* adv = r.scratch + c * 5 * T;  // [2][T] advantages, [2][T] reward advantages, [T] credits
  float* credit = adv + 4 * T;
  const int64_t b0 = c * r.chunk, b1 = b0 + r.chunk < r.B ? b0 + r.chunk : r.B;
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t g = b / r.group_size;
    const int64_t size = r.group_size < r.B - g * r.group_size ? r.group_size : r.B - g * r.group_size;
    for (int a = 0; a < 2; ++a) {
      const float* ret = r.returns[a] + b * T;
      const double* s = r.group_sums + (a * r.group_count + g) * T;
      for (int64_t t = 0; t < T; ++t) adv[a * T + t] = credit::leave_one_out_element(ret[t], s[t], size);
      if (!r.reward_past) continue;
      const float* rw = r.rewards[a] + b * T;
      const double* rs = r.group_sums + ((2 + a) * r.group_count + g) * T;
      for (int64_t t = 0; t < T; ++t) adv[(2 + a) * T + t] = credit::leave_one_out_element(rw[t], rs[t], size);
    }
    for (int a = 0; a < 2; ++a) {
      const float *own = adv + a * T, *others = adv + (1 - a) * T;
      switch (r.algorithm) {
        case TrainAlgorithm::kNaive:
          for (int64_t t = 0; t < T; ++t) credit[t] = own[t];
          break;
        case TrainAlgorithm::kSumOfRewards: credit::sum_row(own, others, credit, T); break;
        case TrainAlgorithm::kAdvantageAlignment:
          credit::advantage_alignment_past_row(own, r.reward_past ? adv + (2 + a) * T : own, others, credit, T, r.beta,
                                               r.gamma, r.include_current, r.form);
          break;
      }
      const int32_t* code = r.codes + a * BT + b * T;
      const uint8_t* lv = r.live + b * T;
      for (int64_t t = 0; t < T; ++t)
        if (lv[t]) {
          train_accumulate(part, code[t], credit[t]);
          extra[0] += fabsf(credit[t]);
        }
    }
    for (int64_t t = 0; t < T; ++t) extra[1] += r.live[b * T + t];
    for (int a = 0; a < 2; ++a) {
      extra[2 + a] += r.reward_sum[b * 2 + a];
      extra[4 + a] += r.coop[b * 2 + a];
    }
  }
}

// The warp-cooperative credit pass (train_api.cu's credit_warp_kernel): a
// warp per chunk of kWarpLanes environments, lane l playing environment
// b0 + l through tiles of kWarpLanes steps, which the warp stages through
// shared memory (coalesced, each element read once). Each lane sums into
// its own table of fields, small enough for its registers and local memory;
// the warp then adds the lanes' tables in a fixed shuffle tree.
constexpr int kWarpLanes = 32;
constexpr int64_t kLaneFields = 64;  // tables of up to 5 states (56 fields)

DLM_HD bool train_warp_credits(int64_t states) { return train_fields(states) <= kLaneFields; }

// One lane's rows of a tile: [n] values from step t0 on of its environment.
struct TrainSegment {
  const float* ret[2];
  const float* rw[2];  // null unless reward_past
  const int32_t* code[2];
  const uint8_t* live;
};

// Steps [t0, t0 + n) (n <= kWarpLanes) of environment b: both seats'
// advantages and credits, summed into the lane's table as train_credit_chunk
// sums them; carry holds both seats' Advantage Alignment scan states between
// tiles (credit_math.hpp's carry and t0 make a tile's scan that of the row).
DLM_HD void train_credit_segment(const TrainRun& r, int64_t b, int64_t t0, int n, const TrainSegment& x, float* carry,
                                 double* table) {
  const int64_t T = r.T, G = r.group_count;
  double* extra = table + r.states * 2 * kSumFields;
  const int64_t g = b / r.group_size;
  const int64_t size = r.group_size < r.B - g * r.group_size ? r.group_size : r.B - g * r.group_size;
  float adv[2][kWarpLanes], past[2][kWarpLanes], credit[kWarpLanes];
  for (int a = 0; a < 2; ++a) {
    const double* s = r.group_sums + (a * G + g) * T + t0;
    for (int i = 0; i < n; ++i) adv[a][i] = credit::leave_one_out_element(x.ret[a][i], s[i], size);
    if (!r.reward_past) continue;
    const double* rs = r.group_sums + ((2 + a) * G + g) * T + t0;
    for (int i = 0; i < n; ++i) past[a][i] = credit::leave_one_out_element(x.rw[a][i], rs[i], size);
  }
  for (int a = 0; a < 2; ++a) {
    const float *own = adv[a], *others = adv[1 - a];
    switch (r.algorithm) {
      case TrainAlgorithm::kNaive:
        for (int i = 0; i < n; ++i) credit[i] = own[i];
        break;
      case TrainAlgorithm::kSumOfRewards: credit::sum_row(own, others, credit, n); break;
      case TrainAlgorithm::kAdvantageAlignment:
        carry[a] = credit::advantage_alignment_past_row(own, r.reward_past ? past[a] : own, others, credit, n, r.beta,
                                                        r.gamma, r.include_current, r.form, carry[a], t0);
        break;
    }
    for (int i = 0; i < n; ++i)
      if (x.live[i]) {
        train_accumulate(table, x.code[a][i], credit[i]);
        extra[0] += fabsf(credit[i]);
      }
  }
  for (int i = 0; i < n; ++i) extra[1] += x.live[i];
}

// Environment b's episode totals into the lane's table, after its tiles.
DLM_HD void train_credit_env_end(const TrainRun& r, int64_t b, double* table) {
  double* extra = table + r.states * 2 * kSumFields;
  for (int a = 0; a < 2; ++a) {
    extra[2 + a] += r.reward_sum[b * 2 + a];
    extra[4 + a] += r.coop[b * 2 + a];
  }
}

// The warp's shuffle tree on the host: at width w = 16, 8, 4, 2, 1 lane l
// adds lane l ^ w's value to its own (__shfl_xor_sync); lane 0's result.
inline double train_lane_tree(const double* lanes) {
  double v[kWarpLanes], next[kWarpLanes];
  for (int l = 0; l < kWarpLanes; ++l) v[l] = lanes[l];
  for (int w = kWarpLanes / 2; w >= 1; w /= 2) {
    for (int l = 0; l < kWarpLanes; ++l) next[l] = v[l] + v[l ^ w];
    for (int l = 0; l < kWarpLanes; ++l) v[l] = next[l];
  }
  return v[0];
}

// Field f of the chunks' parts, summed in chunk order.
DLM_HD double train_total(const double* parts, int64_t chunks, int64_t fields, int64_t f) {
  double sum = 0.0;
  for (int64_t c = 0; c < chunks; ++c) sum += parts[c * fields + f];
  return sum;
}

// The loss and optimiser settings of the update.
struct TrainUpdate {
  int64_t states;
  int epochs;
  learn::LossRowOptions row;
  int normalize;  // learn::LossNormalize
  double normalizer;
  int64_t rows;  // seats * B * T
  float temperature;
  float lr, beta1, beta2, eps, clip_norm;
  int64_t adam_t;  // Adam steps taken before this iteration
};

// What the update reports (IterationMetrics' loss fields).
struct TrainUpdateMetrics {
  double policy_loss, entropy, clipped_fraction, grad_norm, credit_abs_mean;
};

// What the per-state logit gradients add up to for the metrics.
struct TrainLossSums {
  double policy, entropy, clipped;
};

// The loss's normalizer (LossNormalize) from the totals' live steps.
DLM_HD double train_inverse_normalizer(const TrainUpdate& u, const double* totals) {
  const int64_t live_rows = static_cast<int64_t>(totals[u.states * 2 * kSumFields + 1]) * 2;
  double normalizer = 0.0;
  switch (u.normalize) {
    case 0: normalizer = static_cast<double>(live_rows); break;  // kMask
    case 1: normalizer = static_cast<double>(u.rows); break;     // kRows
    default: normalizer = u.normalizer; break;                   // kConstant
  }
  return normalizer > 0.0 ? 1.0 / normalizer : 0.0;
}

// The loss gradient w.r.t. every state's logits z [states, 2] into dz, in
// closed form from the credit sums (trainer_fused.cpp step 4): a state's
// rows share their logits, so their per-row gradients add up to counts and
// credit sums per (state, action). totals: the chunks' summed fields; table:
// the behaviour (the rollout's policy).
DLM_HD TrainLossSums train_logit_grads(const TrainUpdate& u, const double* totals, const TableRow* table,
                                       const float* z, float* dz) {
  const double weight = static_cast<float>(train_inverse_normalizer(u, totals));
  const bool ppo = u.row.objective == learn::LossObjective::kPpo;
  const double lo = 1.0 - u.row.clip, hi = 1.0 + u.row.clip;
  TrainLossSums sums{0, 0, 0};
  for (int64_t s = 0; s < u.states; ++s) {
    float lp[2], p[2], ratio[2], behavior[2];
    uint8_t capped[2];
    const TableRow& row = table[s];
    for (int k = 0; k < 2; ++k) behavior[k] = prepared_logp(row.prep, row.z, k, u.temperature);
    const float h = learn::prepare_cached_row(z + s * 2, 2, behavior, u.row, lp, p, ratio, capped);
    double dlogp[2], count = 0.0;
    for (int a = 0; a < 2; ++a) {
      const double* q = totals + (s * 2 + a) * kSumFields;
      const double cnt = q[2] + q[3] + q[4];
      count += cnt;
      sums.entropy += cnt * h;
      const double rr = ratio[a];
      if (!ppo) {
        dlogp[a] = -rr * (q[0] + q[1]);
        sums.policy += -rr * lp[a] * (q[0] + q[1]);
        sums.clipped += capped[a] ? cnt : 0.0;
        continue;
      }
      const double rc = rr < lo ? lo : (rr > hi ? hi : rr);
      const bool clip_pos = rr > hi, clip_neg = rr < lo;
      dlogp[a] = -rr * ((clip_pos ? 0.0 : q[0]) + (clip_neg ? 0.0 : q[1]));
      sums.policy += -(clip_pos ? rc : rr) * q[0] - (clip_neg ? rc : rr) * q[1];
      sums.clipped += (clip_pos ? q[2] : 0.0) + (clip_neg ? q[3] : 0.0);
    }
    for (int k = 0; k < 2; ++k) {
      double g = 0.0;
      for (int a = 0; a < 2; ++a) g += weight * dlogp[a] * ((k == a ? 1.0 : 0.0) - p[k]);
      if (p[k] > 0.0f) g += weight * u.row.entropy_coef * count * p[k] * (lp[k] + h);
      dz[s * 2 + k] = static_cast<float>(g);
    }
  }
  return sums;
}

// The gradient's norm, its squares summed in index order (Adam::step).
DLM_HD double train_grad_norm(const float* grad, int64_t n) {
  double sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sq += static_cast<double>(grad[i]) * grad[i];
  return sqrt(sq);
}

// Adam::step (optim.cpp) of epoch e for parameter i, given the gradient's
// norm: the elements are independent, so a kernel runs a thread on each.
DLM_HD void train_adam_element(const TrainUpdate& u, int e, double norm, int64_t i, float* params, float* m, float* v,
                               float* grad) {
  if (learn::adam_clips(norm, u.clip_norm)) grad[i] *= learn::adam_clip_scale(norm, u.clip_norm);
  const learn::AdamScalars sc = learn::adam_scalars(u.lr, u.beta1, u.beta2, u.eps, u.adam_t + e + 1);
  learn::adam_element(params + i, m + i, v + i, grad[i], u.beta1, u.beta2, sc);
}

// Adam::step of epoch e over n parameters; returns the gradient's norm
// before clipping.
DLM_HD double train_adam(const TrainUpdate& u, int e, int64_t n, float* params, float* m, float* v, float* grad) {
  const double norm = train_grad_norm(grad, n);
  for (int64_t i = 0; i < n; ++i) train_adam_element(u, e, norm, i, params, m, v, grad);
  return norm;
}

// The first epoch's metrics from its sums and gradient norm.
DLM_HD TrainUpdateMetrics train_metrics(const TrainUpdate& u, const double* totals, const TrainLossSums& sums,
                                        double norm) {
  const double* extra = totals + u.states * 2 * kSumFields;
  const int64_t live_rows = static_cast<int64_t>(extra[1]) * 2;
  const double inv = train_inverse_normalizer(u, totals);
  TrainUpdateMetrics out;
  out.policy_loss = sums.policy * inv;
  out.entropy = sums.entropy * inv;
  out.clipped_fraction = live_rows > 0 ? sums.clipped / static_cast<double>(live_rows) : 0.0;
  out.grad_norm = norm;
  out.credit_abs_mean = live_rows ? extra[0] / static_cast<double>(live_rows) : 0.0;
  return out;
}

// The tabular update, every epoch: the logits are the parameters, so the
// logit gradient is the parameter gradient.
DLM_HD TrainUpdateMetrics train_update(const TrainUpdate& u, const double* totals, const TableRow* table,
                                       float* params, float* m, float* v, float* grad) {
  TrainUpdateMetrics out{0, 0, 0, 0, 0};
  for (int e = 0; e < u.epochs; ++e) {
    const TrainLossSums sums = train_logit_grads(u, totals, table, params, grad);
    const double norm = train_adam(u, e, u.states * 2, params, m, v, grad);
    if (e == 0) out = train_metrics(u, totals, sums, norm);
  }
  return out;
}

// The learning rate of iteration under the schedule (stages::apply_schedule, trainer.cpp).
inline float train_learning_rate(float lr, bool linear, int64_t iterations, int64_t iteration) {
  if (!linear || iterations <= 0) return lr;
  const double left = 1.0 - static_cast<double>(iteration) / static_cast<double>(iterations);
  return static_cast<float>(lr * (left > 0.0 ? left : 0.0));
}

// One dispatch over the history length for the rollout kernel and the parity test.
template <typename F>
bool with_train_history(int history, F&& f) {
  return matrix::with_history(history, f, false);
}

}  // namespace dilemma::cuda
