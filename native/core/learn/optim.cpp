#include "optim.hpp"

#include <cmath>

namespace dilemma::learn {

double Adam::step(float* params, float* grad) {
  const int64_t n = static_cast<int64_t>(m_.size());
  double sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sq += static_cast<double>(grad[i]) * grad[i];
  const double norm = std::sqrt(sq);
  if (o_.clip_norm > 0 && norm > o_.clip_norm) {
    const float scale = static_cast<float>(o_.clip_norm / norm);
    for (int64_t i = 0; i < n; ++i) grad[i] *= scale;
  }
  ++t_;
  const double c1 = 1.0 - std::pow(static_cast<double>(o_.beta1), static_cast<double>(t_));
  const double c2 = 1.0 - std::pow(static_cast<double>(o_.beta2), static_cast<double>(t_));
  const float step = static_cast<float>(o_.lr * std::sqrt(c2) / c1);
  for (int64_t i = 0; i < n; ++i) {
    m_[i] = o_.beta1 * m_[i] + (1.0f - o_.beta1) * grad[i];
    v_[i] = o_.beta2 * v_[i] + (1.0f - o_.beta2) * grad[i] * grad[i];
    params[i] -= step * m_[i] / (std::sqrt(v_[i]) + o_.eps * static_cast<float>(std::sqrt(c2)));
  }
  return norm;
}

}  // namespace dilemma::learn
