// What the model files share with make_model: their factories, the size
// limits, and the seeded uniform initialisation.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../limits.hpp"
#include "../params.hpp"
#include "../rng.hpp"
#include "model.hpp"

namespace dilemma::learn {

// The ONNX writer's limits too (src/onnx-writer/policies.ts), so that every
// model this core trains can also be exported.
inline constexpr int kMaxDim = limits::kMaxModelDim;
inline constexpr int64_t kMaxParams = limits::kMaxModelParams;

// Each kind's parameters (models.cpp), which its factory reads and the
// binding exports; throws ERR_INVALID_ARGUMENT for an unknown kind.
const ParamSpecs& model_param_specs(const std::string& kind);
// The kinds, in the registry's order.
std::vector<std::string> model_kind_names();

// Each reads its own keys from params through model_param_specs; make_model
// checks obs_dim and actions before and rejects unknown keys after.
std::shared_ptr<const Model> make_tabular(int obs_dim, int actions, const Params& params);
std::shared_ptr<const Model> make_mlp(int obs_dim, int actions, const Params& params);
std::shared_ptr<const Model> make_gru(int obs_dim, int actions, const Params& params);

inline void check_param_count(const Params& params, const std::string& kind, int64_t count) {
  if (count > kMaxParams)
    throw Error(codes::kTooLarge, params.owner() + ": the " + kind + " model would have " + std::to_string(count) +
                                      " parameters, more than " + std::to_string(kMaxParams));
}

// params[i] for i in [begin, begin + size) uniform in [-bound, bound), drawn
// with the parameter's flat index as the stream: each value depends on the
// seed and its index only.
inline void init_uniform(float* params, int64_t begin, int64_t size, float bound, uint64_t seed) {
  for (int64_t i = begin; i < begin + size; ++i) {
    const float u = rng::uniform(seed, static_cast<uint32_t>(i), 0, 0, rng::kInit, 0);
    params[i] = (2.0f * u - 1.0f) * bound;
  }
}

inline float inverse_sqrt(int64_t fan_in) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in))); }

}  // namespace dilemma::learn
