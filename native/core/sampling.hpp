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
  double total = 0.0;
  for (int i = 0; i < n; ++i)
    if (!legal || legal[i]) total += std::exp(static_cast<double>(z[i] / temperature - top));
  const double log_total = std::log(total);
  int chosen = best;
  if (!greedy) {
    const double target = static_cast<double>(u) * total;
    double acc = 0.0;
    for (int i = 0; i < n; ++i) {
      if (legal && !legal[i]) continue;
      acc += std::exp(static_cast<double>(z[i] / temperature - top));
      chosen = i;
      if (target < acc) break;
    }
  }
  double h = 0.0;
  for (int i = 0; i < n; ++i) {
    if (legal && !legal[i]) continue;
    const double lp = static_cast<double>(z[i] / temperature - top) - log_total;
    h -= std::exp(lp) * lp;
  }
  s.action = chosen;
  s.logp = static_cast<float>(static_cast<double>(z[chosen] / temperature - top) - log_total);
  s.entropy = static_cast<float>(h);
  return s;
}

}  // namespace dilemma
