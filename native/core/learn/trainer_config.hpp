// The trainer config's parameters as specs: every default, range and choice
// of the scalar settings, read here, checked by the trainer's constructor and
// exported by the binding (TypeScript builds its schema and types from them).
#pragma once

#include "../params.hpp"
#include "trainer.hpp"

namespace dilemma::learn {

// In the order TypeScript lists them.
const ParamSpecs& trainer_param_specs();

// The scalar settings of params (owner "config"): each read through its spec
// (ERR_INVALID_PARAM naming it), then the rules between them
// (check_trainer_rules). game, model and critic stay unset; keys other than
// the specs' are left for the caller (reject_unknown).
TrainerConfig trainer_config_from(const Params& params);

// The ranges of the specs and the rules between settings, on a config built
// in C++ (the constructor calls this): ERR_INVALID_PARAM naming config.<key>.
void check_trainer_config(const TrainerConfig& c);

}  // namespace dilemma::learn
