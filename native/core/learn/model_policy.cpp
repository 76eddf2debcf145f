#include "model_policy.hpp"

#include <cstring>

#include "../error.hpp"
#include "../rng.hpp"
#include "../seat_sampling.hpp"
#include "../thread_scratch.hpp"

namespace dilemma::learn {

namespace {

class ModelPolicy final : public Policy {
 public:
  ModelPolicy(std::shared_ptr<const Model> model, std::shared_ptr<const std::vector<float>> params, std::string label)
      : model_(std::move(model)), params_(std::move(params)), label_(std::move(label)) {
    if (!model_ || !params_) throw Error(codes::kInvalidArgument, "a model policy needs a model and parameters");
    if (static_cast<int64_t>(params_->size()) != model_->num_params())
      throw Error(codes::kInvalidArgument, "the model has " + std::to_string(model_->num_params()) +
                                               " parameters, got " + std::to_string(params_->size()));
  }

  std::string name() const override { return label_; }
  const std::shared_ptr<const Model>& model() const { return model_; }
  const std::shared_ptr<const std::vector<float>>& params() const { return params_; }
  int64_t float_memory_size() const override { return model_->state_size(); }

  void check(const Game& game, int agent) const override {
    const GameInfo& g = game.info();
    if (model_->obs_dim() != g.obs_dim)
      throw Error(codes::kInvalidArgument, "policy '" + label_ + "' expects " + std::to_string(model_->obs_dim()) +
                                               " observation values but game '" + g.id + "' gives agent " +
                                               std::to_string(agent) + " " + std::to_string(g.obs_dim));
    if (model_->actions() != g.actions)
      throw Error(codes::kInvalidArgument, "policy '" + label_ + "' has " + std::to_string(model_->actions()) +
                                               " actions but game '" + g.id + "' has " + std::to_string(g.actions));
  }

  void act(const ActContext& c, int64_t b0, int64_t b1) const override { act_seats(&c, 1, b0, b1); }

  // Rows are seat-major: every seat the policy holds in one model call.
  void act_seats(const ActContext* seats, int count, int64_t b0, int64_t b1) const override {
    const int64_t n = b1 - b0;
    if (n <= 0) return;
    const ActContext& c0 = seats[0];
    const int64_t D = model_->obs_dim(), A = model_->actions(), S = model_->state_size(), B = c0.envs->batch();
    const int64_t rows = n * count;
    // Per-thread scratch, reused across steps and rollouts.
    float* const obs = thread_scratch<struct PolicyObs, float>(static_cast<size_t>(rows * D));
    float* const logits = thread_scratch<struct PolicyLogits, float>(static_cast<size_t>(rows * A));
    float* const state_in = thread_scratch<struct PolicyStateIn, float>(static_cast<size_t>(rows * S));
    float* const state_out = thread_scratch<struct PolicyStateOut, float>(static_cast<size_t>(rows * S));
    for (int s = 0; s < count; ++s) {
      for (int64_t k = 0; k < n; ++k)
        std::memcpy(obs + (s * n + k) * D, c0.obs + (b0 + k) * c0.obs_stride + seats[s].agent * D,
                    sizeof(float) * D);
      if (S) std::memcpy(state_in + s * n * S, seats[s].fmemory + b0 * S, sizeof(float) * n * S);
    }
    (void)B;
    model_->step(params_->data(), obs, S ? state_in : nullptr, rows, logits, S ? state_out : nullptr);
    for (int s = 0; s < count; ++s) {
      if (S) std::memcpy(seats[s].fmemory + b0 * S, state_out + s * n * S, sizeof(float) * n * S);
    }
    sample_seats(seats, count, b0, b1, logits, static_cast<int>(A), "policy '" + label_ + "'");
  }

 private:
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const std::vector<float>> params_;
  std::string label_;
};

}  // namespace

std::shared_ptr<const Policy> make_model_policy(std::shared_ptr<const Model> model,
                                                std::shared_ptr<const std::vector<float>> params, std::string label) {
  return std::make_shared<ModelPolicy>(std::move(model), std::move(params), std::move(label));
}

ModelParts model_parts(const Policy& policy) {
  const auto* p = dynamic_cast<const ModelPolicy*>(&policy);
  if (p == nullptr) return {};
  return {p->model(), p->params()};
}

}  // namespace dilemma::learn
