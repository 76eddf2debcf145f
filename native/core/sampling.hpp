// Drawing an action from logits: temperature, greedy choice, legal-action
// masks, and the log-probability and entropy of the distribution the action
// came from. Shared by every learned policy (and usable in device code).
#pragma once

#include <cmath>
#include <cstdint>

#include "hd.hpp"

namespace dilemma {

struct Sample {
  int action;     // -1 when no action is legal
  float logp;     // log-probability of action under the tempered, masked softmax
  float entropy;  // entropy of that distribution
  bool finite;    // false when a legal logit is NaN or infinite
};

// z: n logits; legal: n flags or nullptr (all legal); u: a uniform in [0, 1).
// Greedy picks the most probable legal action (lowest index on ties).
DLM_HD Sample sample_logits(const float* z, int n, float temperature, bool greedy, float u, const uint8_t* legal) {
  Sample s{-1, 0.0f, 0.0f, true};
  float top = -INFINITY;
  int best = -1;
  for (int i = 0; i < n; ++i) {
    if (legal && !legal[i]) continue;
    const float x = z[i];
    if (!(x > -INFINITY && x < INFINITY)) {
      s.finite = false;
      return s;
    }
    const float y = x / temperature;
    if (y > top) {
      top = y;
      best = i;
    }
  }
  if (best < 0) return s;
  // exp(z_i / T - top) once per action for small action spaces (the usual
  // case); larger ones recompute instead of allocating.
  constexpr int kCached = 64;
  double e[kCached];
  const bool cached = n <= kCached;
  auto weight = [&](int i) {
    return cached ? e[i] : std::exp(static_cast<double>(z[i] / temperature - top));
  };
  double total = 0.0;
  for (int i = 0; i < n; ++i) {
    if (legal && !legal[i]) continue;
    const double x = std::exp(static_cast<double>(z[i] / temperature - top));
    if (cached) e[i] = x;
    total += x;
  }
  const double log_total = std::log(total);
  int chosen = best;
  if (!greedy) {
    const double target = static_cast<double>(u) * total;
    double acc = 0.0;
    for (int i = 0; i < n; ++i) {
      if (legal && !legal[i]) continue;
      acc += weight(i);
      chosen = i;
      if (target < acc) break;
    }
  }
  // H = log_total - sum_i p_i (z_i / T - top), with p_i = e_i / total.
  double h = log_total;
  for (int i = 0; i < n; ++i) {
    if (legal && !legal[i]) continue;
    h -= weight(i) / total * static_cast<double>(z[i] / temperature - top);
  }
  s.action = chosen;
  s.logp = static_cast<float>(static_cast<double>(z[chosen] / temperature - top) - log_total);
  s.entropy = static_cast<float>(h);
  return s;
}

}  // namespace dilemma
