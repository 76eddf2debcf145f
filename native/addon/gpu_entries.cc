#include "gpu_entries.hpp"

#include <cmath>

#include "args.hpp"
#include "cuda_loader.hpp"
#include "errors.hpp"
#include "error.hpp"
#include "learn/model.hpp"
#include "learn/model_policy.hpp"

namespace dilemma::addon::gpu {

namespace {

// Fills seat k of plan from policy; false (and why) when the kernel cannot play it.
bool plan_seat(const Game& game, const Policy& policy, int k, MatrixRolloutPlan* plan, std::string* why) {
  dlm_cuda_matrix_policy& p = plan->policy[k];
  strategy::Rule rule{};
  if (policy.scripted_rule(game, k, &rule)) {
    p.kind = DLM_CUDA_POLICY_SCRIPTED;
    p.strategy = static_cast<int32_t>(rule.kind);
    p.forgiveness = rule.forgiveness;
    p.p = rule.p;
    for (int i = 0; i < 4; ++i) p.zd[i] = rule.zd[i];
    return true;
  }
  const learn::ModelParts parts = learn::model_parts(policy);
  const learn::TabularLayout* layout = parts.model ? parts.model->tabular_layout() : nullptr;
  if (layout == nullptr || parts.model->actions() != 2) {
    *why = "policy '" + policy.name() + "' (seat " + std::to_string(k) +
           ") is neither a tabular model nor a scripted strategy";
    return false;
  }
  p.kind = DLM_CUDA_POLICY_TABULAR;
  p.blocks = layout->blocks;
  plan->tables[k] = parts.params;
  p.table = parts.params->data();
  return true;
}

}  // namespace

Want want_of(Napi::Env env, const Napi::Value& value, const std::string& name) {
  if (value.IsUndefined()) return Want::kNo;
  const std::string v = string(env, value, name);
  if (v == "cpu") return Want::kNo;
  if (v == "auto") return Want::kAuto;
  if (v == "cuda") return Want::kCuda;
  throw_error(env, codes::kInvalidArgument, name + " must be \"cpu\", \"auto\" or \"cuda\", got \"" + v + "\"");
  return Want::kNo;
}

std::shared_ptr<const MatrixRolloutPlan> plan_rollout(Want want, const Game& game,
                                                      const std::vector<std::shared_ptr<const Policy>>& policies) {
  if (want == Want::kNo) return nullptr;
  const bool required = want == Want::kCuda;
  if (required) cuda::require_api();
  else if (cuda::api() == nullptr) return nullptr;
  auto plan = std::make_shared<MatrixRolloutPlan>();
  std::string why;
  int history = 0;
  const matrix::Rules* rules = game.matrix_rules(&history);
  if (rules == nullptr || policies.size() != 2) {
    why = "game '" + game.info().id + "' is not an iterated 2x2 game";
  } else {
    for (int i = 0; i < 8; ++i) plan->game.rewards[i] = rules->rewards[i];
    plan->game.noise = rules->noise;
    plan->game.continuation = rules->continuation;
    plan->game.rounds = rules->rounds;
    plan->game.history = history;
    plan->max_steps = game.info().max_steps;
    for (int k = 0; k < 2 && why.empty(); ++k) plan_seat(game, *policies[k], k, plan.get(), &why);
  }
  if (why.empty()) return plan;
  if (!required) return nullptr;
  throw Error(codes::kBackendUnavailable,
              "gpu 'cuda': the CUDA rollout covers iterated 2x2 games with tabular and scripted policies only; " + why);
}

void matrix_rollout(const MatrixRolloutPlan& plan, const RolloutOptions& o, const TrajectoryView& out) {
  const cuda::Api& api = cuda::require_api();
  // The CPU rollout fails on a non-finite logit when a seat meets it; the
  // kernel's host entry refuses any, so name the first one as the CPU does.
  for (int k = 0; k < 2; ++k) {
    if (!plan.tables[k]) continue;
    for (float x : *plan.tables[k])
      if (!std::isfinite(x))
        throw Error(codes::kModelOutput, "policy in seat " + std::to_string(k) + " has a non-finite logit");
  }
  if (!o.groups.empty() && static_cast<int64_t>(o.groups.size()) != o.batch)
    throw Error(codes::kInvalidArgument, "groups must have one id per rollout (" + std::to_string(o.batch) + ")");
  const int steps = o.steps > 0 ? o.steps : plan.max_steps;
  const dlm_cuda_trajectory t{out.actions, out.logp, out.rewards, out.dones, out.mask, out.entropy, out.obs};
  char err[512] = "";
  cuda::check_status(api.matrix_rollout(&plan.game, plan.policy, o.groups.empty() ? nullptr : o.groups.data(),
                                        o.batch, steps, o.seed, o.temperature, o.greedy ? 1 : 0, &t, err, sizeof err),
                     err, "rollout");
}

learn::LossResult policy_loss(const float* logits, int64_t rows, int A, const int32_t* actions,
                              const float* credits, const uint8_t* mask, const float* behavior_logp,
                              const float* ref_logits, const float* ref_logp, const learn::LossTerms& terms,
                              float* dlogits) {
  const cuda::Api& api = cuda::require_api();
  dlm_cuda_loss_terms t{};
  t.objective = terms.objective == learn::LossObjective::kPpo ? DLM_CUDA_LOSS_PPO : DLM_CUDA_LOSS_REINFORCE;
  t.ratio_cap = terms.ratio_cap;
  t.clip = terms.clip;
  t.entropy_coef = terms.entropy_coef;
  t.kl_coef = terms.kl_coef;
  t.normalize = terms.normalize == learn::LossNormalize::kRows       ? DLM_CUDA_NORMALIZE_ROWS
                : terms.normalize == learn::LossNormalize::kConstant ? DLM_CUDA_NORMALIZE_CONSTANT
                                                                     : DLM_CUDA_NORMALIZE_MASK;
  t.normalizer = terms.normalizer;
  dlm_cuda_loss_result r{};
  char err[512] = "";
  cuda::check_status(api.policy_loss(logits, rows, A, actions, credits, mask, behavior_logp, ref_logits, ref_logp, &t,
                                     dlogits, &r, err, sizeof err),
                     err, "policy loss");
  learn::LossResult out;
  out.loss = r.loss;
  out.policy = r.policy;
  out.entropy = r.entropy;
  out.kl = r.kl;
  out.clipped_fraction = r.clipped_fraction;
  out.live_rows = r.live_rows;
  out.normalizer = r.normalizer;
  return out;
}

}  // namespace dilemma::addon::gpu
