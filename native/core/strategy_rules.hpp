// The scripted strategies' rules for one environment and one agent, shared
// by the CPU policies (strategies.cpp) and the CUDA rollout kernel
// (cuda/rollout_kernels.cu). A strategy is a probability of cooperating
// given the last round's two-action view; the draw that turns it into a move
// comes from the counter-based generator (domain kScripted).
#pragma once

#include <stdint.h>

#include <cmath>

#include "hd.hpp"

namespace dilemma::strategy {

// The numbering is part of libdilemma_cuda's C ABI (DLM_CUDA_STRATEGY_*).
enum class Kind : int32_t {
  kAlwaysCooperate = 0,
  kAlwaysDefect = 1,
  kTitForTat = 2,
  kSuspiciousTitForTat = 3,
  kGenerousTitForTat = 4,
  kGrimTrigger = 5,
  kWinStayLoseShift = 6,
  kAlternate = 7,
  kRandom = 8,
  kZdExtortion = 9,
};

inline constexpr int kKinds = 10;

struct Rule {
  Kind kind;
  double forgiveness;  // generous-tit-for-tat: cooperation after a defection
  double p;            // random: cooperation probability
  double zd[4];        // zd-extortion: after CC, CD, DC, DD, own move first
};

// int32 memory per environment: grim trigger remembers a defection.
DLM_HD int memory_size(Kind kind) { return kind == Kind::kGrimTrigger ? 1 : 0; }

// Whether the rule can give a probability strictly between 0 and 1, so
// that a draw is needed.
DLM_HD bool stochastic(Kind kind) {
  return kind == Kind::kRandom || kind == Kind::kGenerousTitForTat || kind == Kind::kZdExtortion;
}

// own, other: the last round's moves (0 cooperate, 1 defect), -1 before the
// first round. t: rounds played. memory: memory_size(kind) values, zero at
// the start of an episode; grim trigger updates it.
DLM_HD double cooperate_probability(const Rule& r, int own, int other, int t, int32_t* memory) {
  const bool first = own < 0;
  switch (r.kind) {
    case Kind::kAlwaysCooperate: return 1;
    case Kind::kAlwaysDefect: return 0;
    case Kind::kTitForTat: return first || other == 0 ? 1 : 0;
    case Kind::kSuspiciousTitForTat: return first ? 0 : (other == 0 ? 1 : 0);
    case Kind::kGenerousTitForTat: return first || other == 0 ? 1 : r.forgiveness;
    case Kind::kGrimTrigger:
      if (!first && other == 1) memory[0] = 1;
      return memory[0] ? 0 : 1;
    case Kind::kWinStayLoseShift: return first || own == other ? 1 : 0;
    case Kind::kAlternate: return t % 2 == 0 ? 1 : 0;
    case Kind::kRandom: return r.p;
    case Kind::kZdExtortion: return first ? 1 : r.zd[2 * own + other];
  }
  return 0;
}

// u: a uniform in [0, 1), read only when 0 < p < 1.
DLM_HD bool cooperates(double p, float u) { return p >= 1.0 || (p > 0.0 && u < p); }

// The log-probabilities of both moves and the entropy of a rule's choice.
struct LogTerms {
  double p;
  float log_c, log_d, entropy;
};

DLM_HD LogTerms log_terms(double p) {
  const double lc = std::log(p), ld = p == 0.0 ? 0.0 : std::log1p(-p);  // +0 for a sure defection
  double h = 0;
  if (p > 0) h -= p * lc;
  if (p < 1) h -= (1 - p) * ld;
  return {p, static_cast<float>(lc), static_cast<float>(ld), static_cast<float>(h)};
}

// Press and Dyson's extortionate zero-determinant strategy: memory-one
// cooperation probabilities after CC, CD, DC, DD (own move first) that
// enforce (own - own_DD) = chi * (other - other_DD), from the one-shot
// payoffs in that order. phi is phi_fraction of the largest scale that keeps
// every probability in [0, 1]. False when chi admits no such strategy.
// Host only: it runs once per call, not per environment.
inline bool zd_probabilities(const double own[4], const double other[4], double chi, double phi_fraction,
                             double out[4]) {
  double d[3];
  for (int i = 0; i < 3; ++i) d[i] = (own[i] - own[3]) - chi * (other[i] - other[3]);
  // p_CC = 1 + phi d0, p_CD = 1 + phi d1, p_DC = phi d2, p_DD = 0.
  double phi_max = INFINITY;
  const bool valid = d[0] <= 0 && d[1] <= 0 && d[2] >= 0;
  if (valid) {
    if (d[0] < 0 && -1.0 / d[0] < phi_max) phi_max = -1.0 / d[0];
    if (d[1] < 0 && -1.0 / d[1] < phi_max) phi_max = -1.0 / d[1];
    if (d[2] > 0 && 1.0 / d[2] < phi_max) phi_max = 1.0 / d[2];
  }
  if (!valid || !std::isfinite(phi_max)) return false;
  const double phi = phi_fraction * phi_max;
  out[0] = 1 + phi * d[0];
  out[1] = 1 + phi * d[1];
  out[2] = phi * d[2];
  out[3] = 0.0;
  return true;
}

}  // namespace dilemma::strategy
