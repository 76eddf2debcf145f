#include "optim.hpp"

#include <cmath>

#include "adam_math.hpp"

namespace dilemma::learn {

double Adam::step(float* params, float* grad) {
  const int64_t n = static_cast<int64_t>(m_.size());
  double sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sq += static_cast<double>(grad[i]) * grad[i];
  const double norm = std::sqrt(sq);
  if (adam_clips(norm, o_.clip_norm)) {
    const float scale = adam_clip_scale(norm, o_.clip_norm);
    for (int64_t i = 0; i < n; ++i) grad[i] *= scale;
  }
  ++t_;
  const AdamScalars s = adam_scalars(o_.lr, o_.beta1, o_.beta2, o_.eps, t_);
  for (int64_t i = 0; i < n; ++i) adam_element(params + i, &m_[i], &v_[i], grad[i], o_.beta1, o_.beta2, s);
  return norm;
}

}  // namespace dilemma::learn
