// Adam with global-norm gradient clipping.
#pragma once

#include <cstdint>
#include <vector>

namespace dilemma::learn {

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float clip_norm = 0.0f;  // 0: no clipping
};

class Adam {
 public:
  Adam(int64_t n, AdamOptions o) : o_(o), m_(n, 0.0f), v_(n, 0.0f) {}
  // Clips grad in place to the global norm and updates params; returns the norm before clipping.
  double step(float* params, float* grad);
  int64_t steps() const { return t_; }
  const AdamOptions& options() const { return o_; }
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }
  const std::vector<float>& m() const { return m_; }
  const std::vector<float>& v() const { return v_; }
  void set_steps(int64_t t) { t_ = t; }
  void set_lr(float lr) { o_.lr = lr; }

 private:
  AdamOptions o_;
  std::vector<float> m_, v_;
  int64_t t_ = 0;
};

}  // namespace dilemma::learn
