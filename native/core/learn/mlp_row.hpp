// One row of the MLP policy (mlp.cpp) in DLM_HD functions: the parameter
// layout, the activation and its derivative, the forward pass and the
// backward pass to every layer's output gradient. The CPU model takes its
// layout and activations from here and runs the same per-row sums in its
// vectorised blocks; the CUDA device trainer runs these functions as they
// are, so the two cannot drift apart.
#pragma once

#include <stdint.h>

#include "../hd.hpp"
#include "dense_math.hpp"

namespace dilemma::learn {

// At most 16 hidden layers (the "hidden" spec's bound) and the logits layer.
inline constexpr int kMlpMaxLayers = 17;

// Widths w_0 = obs_dim, w_1..w_L hidden, w_{L+1} = actions; layers = L + 1.
struct MlpShape {
  int layers;
  int widths[kMlpMaxLayers + 1];
  bool relu;
};

// Offset of layer i's weights Wi [w_i, w_{i+1}] in the flat parameters; its
// bias bi [w_{i+1}] follows them.
DLM_HD int64_t mlp_weight_offset(const MlpShape& m, int i) {
  int64_t offset = 0;
  for (int l = 0; l < i; ++l) offset += (static_cast<int64_t>(m.widths[l]) + 1) * m.widths[l + 1];
  return offset;
}
DLM_HD int64_t mlp_bias_offset(const MlpShape& m, int i) {
  return mlp_weight_offset(m, i) + static_cast<int64_t>(m.widths[i]) * m.widths[i + 1];
}
DLM_HD int64_t mlp_param_count(const MlpShape& m) { return mlp_weight_offset(m, m.layers); }

// Offset of hidden layer i's outputs (i < layers - 1) in a row's cache of
// every hidden output, layer after layer.
DLM_HD int64_t mlp_hidden_offset(const MlpShape& m, int i) {
  int64_t offset = 0;
  for (int l = 1; l <= i; ++l) offset += m.widths[l];
  return offset;
}
DLM_HD int64_t mlp_hidden_total(const MlpShape& m) { return mlp_hidden_offset(m, m.layers - 1); }

DLM_HD float mlp_activate(float v, bool relu) { return relu ? (v > 0.0f ? v : 0.0f) : dense::tanh(v); }

// The gradient d at a hidden output y carried back through the activation:
// both derivatives come from the output (tanh' = 1 - y², relu' = [y > 0]).
DLM_HD float mlp_activation_grad(float d, float y, bool relu) {
  return relu ? (y > 0.0f ? d : 0.0f) : d * (1.0f - y * y);
}

// Logits [actions] of one observation x [obs_dim]; hidden [hidden_total]
// receives every hidden layer's output.
DLM_HD void mlp_forward_row(const MlpShape& m, const float* params, const float* x, float* hidden, float* logits) {
  const float* in = x;
  for (int i = 0; i < m.layers; ++i) {
    const bool last = i == m.layers - 1;
    float* y = last ? logits : hidden + mlp_hidden_offset(m, i);
    dense::affine(in, m.widths[i], params + mlp_weight_offset(m, i), params + mlp_bias_offset(m, i), m.widths[i + 1],
                  y);
    if (last) break;
    for (int j = 0; j < m.widths[i + 1]; ++j) y[j] = mlp_activate(y[j], m.relu);
    in = y;
  }
}

// The gradient at every hidden layer's pre-activation, delta [hidden_total],
// from the logits' gradient dlogits [actions] and the row's hidden outputs:
// dx = dy Wᵀ over the nonzero dy in order, then through the activation.
DLM_HD void mlp_backward_row(const MlpShape& m, const float* params, const float* hidden, const float* dlogits,
                             float* delta) {
  for (int i = m.layers - 1; i >= 1; --i) {
    const int in = m.widths[i], out = m.widths[i + 1];
    const float* W = params + mlp_weight_offset(m, i);
    const float* dy = i == m.layers - 1 ? dlogits : delta + mlp_hidden_offset(m, i);
    const float* y = hidden + mlp_hidden_offset(m, i - 1);
    float* d = delta + mlp_hidden_offset(m, i - 1);
    for (int k = 0; k < in; ++k) {
      float v = 0.0f;
      for (int j = 0; j < out; ++j)
        if (dy[j] != 0.0f) v += dy[j] * W[static_cast<int64_t>(k) * out + j];
      d[k] = mlp_activation_grad(v, y[k], m.relu);
    }
  }
}

// Which layer parameter p belongs to, and its input k (-1 for a bias) and
// output j there.
struct MlpParamPlace {
  int layer, k, j;
};
DLM_HD MlpParamPlace mlp_param_place(const MlpShape& m, int64_t p) {
  int i = 0;
  while (i + 1 < m.layers && p >= mlp_weight_offset(m, i + 1)) ++i;
  const int64_t local = p - mlp_weight_offset(m, i);
  const int64_t out = m.widths[i + 1], weights = static_cast<int64_t>(m.widths[i]) * out;
  if (local >= weights) return {i, -1, static_cast<int>(local - weights)};
  return {i, static_cast<int>(local / out), static_cast<int>(local % out)};
}

// One row's term of the gradient of parameter place q: x[k] dy[j] for a
// weight (nothing for a zero input, as the CPU's add_outer skips it), dy[j]
// for a bias. x: the row's observation; hidden, delta: its cache and
// mlp_backward_row's output; dlogits: its logits' gradient.
DLM_HD float mlp_param_term(const MlpShape& m, const MlpParamPlace& q, const float* x, const float* hidden,
                            const float* delta, const float* dlogits) {
  const float* dy = q.layer == m.layers - 1 ? dlogits : delta + mlp_hidden_offset(m, q.layer);
  if (q.k < 0) return dy[q.j];
  const float xk = q.layer == 0 ? x[q.k] : hidden[mlp_hidden_offset(m, q.layer - 1) + q.k];
  return xk == 0.0f ? 0.0f : xk * dy[q.j];
}

}  // namespace dilemma::learn
