// Run-time loader of libdilemma_cuda (cuda/include/dilemma_cuda.h). The addon
// is built without CUDA and opens the library with dlopen from a path the
// TypeScript side gives, so a missing library, driver or GPU is a reason
// string in engineInfo().cuda, never a load failure of the addon or a crash.
#pragma once

#include <napi.h>

#include <string>

#include "../../cuda/include/dilemma_cuda.h"

namespace dilemma::addon::cuda {

// What engineInfo().cuda and cudaLoad() report.
struct Status {
  bool available = false;
  std::string reason;              // why not, when !available
  std::string device;              // name of device 0
  std::string compute_capability;  // "9.0"
  std::string library;             // path of the library, once dlopen succeeded
};

// The host-pointer entry points of a library that loaded and found a device.
struct Api {
  dlm_cuda_discounted_returns_fn discounted_returns = nullptr;
  dlm_cuda_gae_fn gae = nullptr;
  dlm_cuda_leave_one_out_fn leave_one_out = nullptr;
  dlm_cuda_advantage_alignment_fn advantage_alignment = nullptr;
  dlm_cuda_policy_loss_fn policy_loss = nullptr;
  dlm_cuda_matrix_rollout_fn matrix_rollout = nullptr;
  // The device trainer: optional, so that a library built before it still
  // serves the kernels above; when absent, trainer_missing says why.
  dlm_cuda_trainer_create_fn trainer_create = nullptr;
  dlm_cuda_trainer_iterate_fn trainer_iterate = nullptr;
  dlm_cuda_trainer_state_fn trainer_state = nullptr;
  dlm_cuda_trainer_destroy_fn trainer_destroy = nullptr;
  std::string trainer_missing;
};

// Tries the library at `path` unless one is already in use, in which case
// that one's status is returned unchanged. Thread-safe; the result is cached.
Status load(const std::string& path);

// The cached status (unavailable with a reason before any load()).
Status status();

// The loaded library's entry points, or nullptr while CUDA is unavailable.
const Api* api();

// The entry points, or an ERR_BACKEND_UNAVAILABLE error (a dilemma::Error)
// with the reason engineInfo().cuda gives.
const Api& require_api();

// The entry points with the device trainer, or ERR_BACKEND_UNAVAILABLE
// saying why the library is unavailable or lacks the trainer.
const Api& require_trainer_api();

// Turns a status of the library into a dilemma::Error with a stable code;
// nothing for DLM_CUDA_OK. `what` names the call in the message.
void check_status(int status, const char* err, const char* what);

Napi::Object status_object(Napi::Env env, const Status& s);

}  // namespace dilemma::addon::cuda
