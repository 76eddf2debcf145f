// Batched credit assignment on the CPU over row-major [batch, steps] float32
// arrays: one rollout per row. Each function checks its arguments (throwing
// dilemma::Error), accepts out == its first input for in-place use, and gives
// bit-identical results for any thread count. threads <= 0 means
// default_threads().
#pragma once

#include <cstdint>

#include "credit_math.hpp"

namespace dilemma::credit {

// out[b, t] = sum_{k>=t} gamma^{k-t} rewards[b, k]
void discounted_returns(const float* rewards, float* out, int64_t batch, int64_t steps, float gamma, int threads = 0);

// GAE(lambda); values is [batch, steps + 1], its last column bootstrapping
// the tail.
void gae(const float* rewards, const float* values, float* out, int64_t batch, int64_t steps, float gamma,
         float lambda, int threads = 0);

// Per step, each rollout minus the mean of the other rollouts of its group.
// groups holds one id per rollout (any values, in any order) or is nullptr
// for a single group. A group of one keeps its value.
void leave_one_out(const float* values, const int32_t* groups, float* out, int64_t batch, int64_t steps,
                   int threads = 0);

// Advantage Alignment credits from the agent's own advantages and the sum of
// the other agents' advantages (see advantage_alignment_row).
void advantage_alignment(const float* own, const float* others, float* out, int64_t batch, int64_t steps, float beta,
                         float gamma, bool include_current, AaForm form, int threads = 0);

// out = own + others over n elements (n may be 0).
void sum_of_rewards(const float* own, const float* others, float* out, int64_t n, int threads = 0);

// (x - mean) / (std + eps) with the population std, over all elements, or
// per step (per column, over the batch) when per_step is set.
void whiten(const float* x, float* out, int64_t batch, int64_t steps, bool per_step, double eps, int threads = 0);

// How many rows the scans (discounted_returns, gae, advantage_alignment)
// run at once: 8 with AVX2, 4 with SSE, 1 for the plain row functions.
// Every width gives the same bits; set_scan_lanes lets the tests check that
// by capping the width (0 restores the widest the CPU runs). Not for use
// while a scan runs.
void set_scan_lanes(int lanes);
int scan_lanes();

}  // namespace dilemma::credit
