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

}  // namespace dilemma::learn
