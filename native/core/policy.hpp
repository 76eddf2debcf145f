// A policy chooses every environment's action for one agent at one step.
// Policies are immutable while a rollout runs (so threads can share them);
// anything that changes per environment lives in the int32 memory the
// rollout owns, memory_size() values per environment.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "env.hpp"
#include "game.hpp"
#include "params.hpp"
#include "strategy_rules.hpp"

namespace dilemma {

struct ActContext {
  const EnvBatch* envs;
  int agent;
  int step;          // rollout step, 0-based
  uint64_t seed;     // rollout seed, for the policy's own draws
  // Observations before this step: environment b's row of [agents, obs_dim]
  // starts at obs + b * obs_stride.
  const float* obs;
  int64_t obs_stride;
  int32_t* memory;  // [batch, memory_size]
  float* fmemory;   // batch * float_memory_size floats, laid out as the policy chooses; zero at start
  float temperature = 1.0f;  // sampling temperature of learned policies (1 = as trained)
  bool greedy = false;       // learned policies take their most probable action
  // Outputs for environment b and this agent at [b * out_stride + agent]:
  // the chosen action, its log-probability, and the distribution's entropy.
  int32_t* actions;
  float* logp;
  float* entropy;
  int64_t out_stride;
  // The rollout's index of environment 0 of envs: loops that run a batch one
  // block of environments at a time hand each block its own EnvBatch, and a
  // policy keys its draws by first_env + b, so they do not depend on blocks.
  int64_t first_env = 0;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string name() const = 0;
  // Throws (with a code) when the policy cannot play agent in game.
  virtual void check(const Game& game, int agent) const = 0;
  virtual int memory_size() const { return 0; }
  // Float state per environment (e.g. a recurrent hidden state).
  virtual int64_t float_memory_size() const { return 0; }
  // Environments per act() call this policy runs best with: scripted rules
  // keep a block's trajectory in cache; 0 (the default) asks for as many as
  // possible, for policies whose every call has a fixed cost (a model run).
  virtual int64_t preferred_block() const { return 0; }
  // Scripted two-action strategies describe themselves as a rule for agent
  // in game (strategy_rules.hpp), so that fused loops can run them without a
  // call per step; false for every other policy.
  virtual bool scripted_rule(const Game& /*game*/, int /*agent*/, strategy::Rule* /*rule*/) const { return false; }
  // Acts in environments [b0, b1).
  virtual void act(const ActContext& ctx, int64_t b0, int64_t b1) const = 0;
  // Acts for several seats the policy holds in the same game (self-play);
  // a policy that evaluates a model batches all seats into one call.
  virtual void act_seats(const ActContext* seats, int count, int64_t b0, int64_t b1) const {
    for (int k = 0; k < count; ++k) act(seats[k], b0, b1);
  }
};

// Scripted strategies for two-action games (see strategies.cpp for names and
// parameters).
std::shared_ptr<const Policy> make_strategy(const std::string& name, const Params& params);
const std::vector<std::string>& strategy_names();
// A registered strategy's parameter specs (empty for those without any;
// throws ERR_UNKNOWN_STRATEGY for other names).
const ParamSpecs& strategy_params(const std::string& name);

// Scripted agents for trust-and-split (trust_and_split_agents.cpp), registered
// with the strategies above: greedy-splitter, welfare-splitter,
// honest-reciprocator, liar. make_trust_and_split_agent returns nullptr for any
// other name; trust_and_split_agent_action is the agent's action for `agent` at
// step t of a trust-and-split state (ERR_UNSUPPORTED for other games).
std::shared_ptr<const Policy> make_trust_and_split_agent(const std::string& name, const Params& params);
const std::vector<std::string>& trust_and_split_agent_names();
int trust_and_split_agent_action(const std::string& name, const Game& game, const int32_t* state, int t, int agent);

}  // namespace dilemma
