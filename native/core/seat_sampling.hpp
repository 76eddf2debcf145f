// Actions for every seat a learned policy holds, from its stacked logits
// (rows seat-major: [seat][environment in b0..b1)): legal-action masks,
// temperature or greedy choice, the counter-based draw of (seed, rollout,
// step, agent), and the outputs each seat's context points to.
#pragma once

#include <cstdint>
#include <string>

#include "policy.hpp"

namespace dilemma {

// `who` names the policy in errors (ERR_MODEL_OUTPUT for non-finite logits or
// no legal action in a live environment).
void sample_seats(const ActContext* seats, int count, int64_t b0, int64_t b1, const float* logits, int actions,
                  const std::string& who);

}  // namespace dilemma
