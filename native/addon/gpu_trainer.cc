#include "gpu_trainer.hpp"

#include <vector>

#include "cuda_loader.hpp"
#include "error.hpp"
#include "games/matrix_rules.hpp"
#include "learn/device_trainer_config.hpp"
#include "learn/mlp_row.hpp"

namespace dilemma::addon::gpu {

namespace {

// The device trainer's limits, declared with its C interface.
constexpr int64_t kDeviceStates = DLM_CUDA_TRAIN_MAX_STATES;
constexpr int kDeviceMlpHistory = DLM_CUDA_MLP_MAX_HISTORY;
constexpr int kDeviceMlpWidth = DLM_CUDA_MLP_MAX_WIDTH;

// What of an MLP policy the device does not cover; empty when it does.
std::string mlp_not_covered(const learn::MlpShape& m, int history) {
  if (history > kDeviceMlpHistory)
    return "an MLP policy over history " + std::to_string(history) + " (at most " +
           std::to_string(kDeviceMlpHistory) + " rounds)";
  for (int i = 1; i < m.layers; ++i)
    if (m.widths[i] > kDeviceMlpWidth)
      return "an MLP hidden layer of width " + std::to_string(m.widths[i]) + " (at most " +
             std::to_string(kDeviceMlpWidth) + ")";
  return "";
}


}  // namespace

class DeviceTrainer {
 public:
  explicit DeviceTrainer(const cuda::Api& api) : api_(api) {}
  DeviceTrainer(const DeviceTrainer&) = delete;
  DeviceTrainer& operator=(const DeviceTrainer&) = delete;
  ~DeviceTrainer() { release(); }

  learn::IterationMetrics iterate(learn::Trainer& cpu) {
    if (handle_ == nullptr) create(cpu);
    dlm_cuda_train_metrics m{};
    char err[512] = "";
    const int status = api_.trainer_iterate(handle_, &m, err, sizeof err);
    // The only argument the iteration itself checks is the policy's logits
    // (the config was checked at creation): the CPU's ERR_MODEL_OUTPUT, with
    // the parameters left as they were.
    if (status == DLM_CUDA_ERR_INVALID_ARGUMENT)
      throw Error(codes::kModelOutput, std::string("policy 'learner' on the CUDA device: ") +
                                           (err[0] != '\0' ? err : "has a non-finite logit"));
    cuda::check_status(status, err, "the training iteration");
    cpu_stale_ = true;
    learn::IterationMetrics out;
    out.iteration = m.iteration;
    out.mean_return.assign(m.mean_return, m.mean_return + 2);
    out.action0_rate.assign(m.action0_rate, m.action0_rate + 2);
    out.policy_loss = m.policy_loss;
    out.entropy = m.entropy;
    out.clipped_fraction = m.clipped_fraction;
    out.grad_norm = m.grad_norm;
    out.credit_abs_mean = m.credit_abs_mean;
    return out;
  }

  void pull(learn::Trainer& cpu) {
    if (!cpu_stale_ || handle_ == nullptr) return;
    learn::TrainerState s = cpu.state();
    char err[512] = "";
    cuda::check_status(api_.trainer_state(handle_, s.params.data(), s.adam_m.data(), s.adam_v.data(), &s.adam_t,
                                          &s.iteration, err, sizeof err),
                       err, "reading the trainer's state");
    cpu.restore(s);
    cpu_stale_ = false;
  }

  // The CPU copy is the state from now on; the device starts again from it.
  void invalidate() {
    release();
    cpu_stale_ = false;
  }

 private:
  void create(const learn::Trainer& cpu) {
    const dlm_cuda_train_config c = learn::device_train_config(cpu);
    const learn::TrainerState s = cpu.state();
    char err[512] = "";
    dlm_cuda_trainer* h = nullptr;
    cuda::check_status(api_.trainer_create(&c, s.params.data(), s.adam_m.data(), s.adam_v.data(), s.adam_t,
                                           s.iteration, &h, err, sizeof err),
                       err, "creating the device trainer");
    handle_ = h;
  }

  void release() {
    if (handle_ != nullptr) api_.trainer_destroy(handle_);
    handle_ = nullptr;
  }

  const cuda::Api& api_;
  dlm_cuda_trainer* handle_ = nullptr;
  bool cpu_stale_ = false;  // the device ran iterations the CPU copy lacks
};

std::string trainer_not_covered(const learn::Trainer& t) {
  const learn::TrainerConfig& c = t.config();
  const GameInfo& g = c.game->info();
  int history = 0;
  if (c.game->matrix_rules(&history) == nullptr || g.agents != 2 || g.actions != 2)
    return "game '" + g.id + "' is not an iterated 2x2 game";
  if (history < 1 || history > matrix::kMaxHistory) return "history " + std::to_string(history) + " is out of range";
  const learn::TabularLayout* layout = c.model->tabular_layout();
  const learn::MlpShape* mlp = c.model->mlp_shape();
  if (layout == nullptr && mlp == nullptr) return "policy '" + c.model->kind() + "' is neither tabular nor an MLP";
  if (mlp != nullptr) {
    const std::string why = mlp_not_covered(*mlp, history);
    if (!why.empty()) return why;
  } else if (layout->states > kDeviceStates || layout->states * g.actions > learn::kChunkedTableEntries) {
    return "the tabular policy has " + std::to_string(layout->states) + " states (at most " +
           std::to_string(kDeviceStates) + ")";
  }
  if (c.baseline != learn::Baseline::kLeaveOneOut) return "baseline 'critic' (only 'leave-one-out')";
  if (c.loss.kl_coef != 0.0f) return "a KL term";
  if (c.whiten_credits) return "whitenCredits";
  if (c.buffer_size > 0) return "a snapshot buffer (bufferSize > 0; only self-play)";
  if (c.game->stat_count() != 0) return "game statistics";
  // An MLP always takes the CPU's general path, which the device matches.
  if (!c.fused && mlp == nullptr) return "the general (unfused) path";
  return "";
}

std::shared_ptr<DeviceTrainer> attach_trainer(Want want, const learn::Trainer& t) {
  if (want == Want::kNo) return nullptr;
  const std::string why = trainer_not_covered(t);
  if (!why.empty()) {
    if (want == Want::kAuto) return nullptr;
    throw Error(codes::kBackendUnavailable,
                "gpu 'cuda': the device trainer covers iterated 2x2 games with a tabular policy or an MLP over at most "
                "4 rounds of memory in self-play, a "
                "leave-one-out baseline, no KL term, no credit whitening and no snapshot buffer; not covered here: " + why);
  }
  if (want == Want::kAuto) {
    const cuda::Api* api = cuda::api();
    if (api == nullptr || api->trainer_create == nullptr) return nullptr;
    return std::make_shared<DeviceTrainer>(*api);
  }
  return std::make_shared<DeviceTrainer>(cuda::require_trainer_api());
}

learn::IterationMetrics device_iterate(DeviceTrainer& d, learn::Trainer& cpu) { return d.iterate(cpu); }

void device_pull(DeviceTrainer& d, learn::Trainer& cpu) { d.pull(cpu); }

void device_invalidate(DeviceTrainer& d) { d.invalidate(); }

}  // namespace dilemma::addon::gpu
