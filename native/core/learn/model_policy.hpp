// A trainable model with a fixed parameter vector, playing as a Policy in the
// native rollout loop (the trainer's current policy, buffer snapshots and
// checkpoints all play through this).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../policy.hpp"
#include "model.hpp"

namespace dilemma::learn {

std::shared_ptr<const Policy> make_model_policy(std::shared_ptr<const Model> model,
                                                std::shared_ptr<const std::vector<float>> params, std::string label);

// The model and parameters behind a policy made by make_model_policy (both
// null for any other policy), so that a device path can copy a tabular
// policy's table instead of calling the model per step.
struct ModelParts {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const std::vector<float>> params;
};
ModelParts model_parts(const Policy& policy);

}  // namespace dilemma::learn
