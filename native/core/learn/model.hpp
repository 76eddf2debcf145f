// Trainable policy networks: a flat float32 parameter vector, one step for
// acting (with recurrent state carried by the caller), and whole-sequence
// forward and backward for training. Implementations: tabular, mlp, gru.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "../params.hpp"

namespace dilemma::learn {

struct MlpShape;  // mlp_row.hpp

// A tabular model's reading of an observation: `blocks` blocks of `size`
// values; a block's index is the position of its largest value (the first on
// ties) and the state is sum_j index_j * size^j (block 0 least significant).
struct TabularLayout {
  int blocks;
  int size;
  int64_t states;
};

// Tables of at most this many entries (states x actions) take their
// gradient as a chunked sum (chunked.hpp): per-chunk partial tables added in
// chunk order. The trainer's fused path accumulates its rows the same way.
inline constexpr int64_t kChunkedTableEntries = 4096;

inline int64_t tabular_state(const float* x, const TabularLayout& t) {
  int64_t state = 0, place = 1;
  for (int j = 0; j < t.blocks; ++j, place *= t.size) {
    const float* block = x + static_cast<int64_t>(j) * t.size;
    int best = 0;
    for (int i = 1; i < t.size; ++i)
      if (block[i] > block[best]) best = i;
    state += best * place;
  }
  return state;
}

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string kind() const = 0;  // "tabular", "mlp", "gru"
  virtual int obs_dim() const = 0;
  virtual int actions() const = 0;
  virtual int64_t num_params() const = 0;
  // Recurrent state floats per environment (0 for feed-forward models).
  virtual int64_t state_size() const { return 0; }
  // Tabular models: how an observation picks a row of logits (params
  // [states, actions]); null for every other model.
  virtual const TabularLayout* tabular_layout() const { return nullptr; }
  // MLP models: their layer widths and activation (mlp_row.hpp); null for
  // every other model.
  virtual const MlpShape* mlp_shape() const { return nullptr; }

  // Seeded initial parameters (counter-based draws: the same seed gives the
  // same parameters on any machine).
  virtual void init(float* params, uint64_t seed) const = 0;

  // One step for n rows: obs [n, obs_dim], state_in/state_out [n, state_size]
  // (null when state_size is 0) -> logits [n, actions].
  virtual void step(const float* params, const float* obs, const float* state_in, int64_t n, float* logits,
                    float* state_out) const = 0;

  // Training over sequences of rows [B, T]: obs [B, T, obs_dim] -> logits
  // [B, T, actions]; the recurrent state starts at zero at t = 0 of every
  // sequence. cache receives cache_size(B, T) floats for backward.
  virtual int64_t cache_size(int64_t B, int64_t T) const = 0;
  virtual void forward(const float* params, const float* obs, int64_t B, int64_t T, float* logits,
                       float* cache) const = 0;
  // Adds d(loss)/d(params) to grad given dlogits [B, T, actions].
  virtual void backward(const float* params, const float* obs, const float* dlogits, int64_t B, int64_t T,
                        const float* cache, float* grad) const = 0;
};

// kind "tabular": params.blocks (default 1): the observation is `blocks`
//   one-hot blocks of equal size; the state index is their mixed-radix code,
//   and each state has its own row of logits (init 0).
// kind "mlp": params.hidden (array, default [64]), params.activation
//   ("tanh" | "relu", default tanh): y = x W + b per layer, W stored [in, out].
// kind "gru": params.hidden (default 32): the GRU cell of the ONNX writer
//   (PyTorch gate convention) followed by a linear head.
// Throws ERR_INVALID_PARAM for bad parameters (naming them).
std::shared_ptr<const Model> make_model(const std::string& kind, int obs_dim, int actions, const Params& params);

}  // namespace dilemma::learn
