// One Adam step's scalars and per-parameter update, shared by the CPU
// optimiser (optim.cpp) and the device trainer (cuda/train_stages.cuh), so
// that both paths round the same way.
#pragma once

#include <math.h>
#include <stdint.h>

#include "../hd.hpp"

namespace dilemma::learn {

// The bias-corrected step size and epsilon of step t (1-based).
struct AdamScalars {
  float step;
  float eps_hat;
};

DLM_HD AdamScalars adam_scalars(float lr, float beta1, float beta2, float eps, int64_t t) {
  const double c1 = 1.0 - pow(static_cast<double>(beta1), static_cast<double>(t));
  const double c2 = 1.0 - pow(static_cast<double>(beta2), static_cast<double>(t));
  return {static_cast<float>(lr * sqrt(c2) / c1), eps * static_cast<float>(sqrt(c2))};
}

// The scale that brings a gradient of global norm `norm` to clip_norm (1: no clipping).
DLM_HD bool adam_clips(double norm, float clip_norm) { return clip_norm > 0 && norm > clip_norm; }
DLM_HD float adam_clip_scale(double norm, float clip_norm) { return static_cast<float>(clip_norm / norm); }

DLM_HD void adam_element(float* param, float* m, float* v, float g, float beta1, float beta2, AdamScalars s) {
  *m = beta1 * *m + (1.0f - beta1) * g;
  *v = beta2 * *v + (1.0f - beta2) * g * g;
  *param -= s.step * *m / (sqrtf(*v) + s.eps_hat);
}

}  // namespace dilemma::learn
