#include "cuda_loader.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <mutex>
#include <string>

#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"

namespace dilemma::addon::cuda {

namespace {

std::mutex mutex;
Status current{false, "the CUDA library has not been loaded (cudaLoad was not called)", "", "", ""};
Api table;
bool ready = false;

// Resolves `name` into fn; false (and the name in `missing`) when absent.
template <typename Fn>
bool resolve(void* lib, const char* name, Fn& fn, std::string& missing) {
  void* sym = dlsym(lib, name);
  if (sym == nullptr) {
    missing = name;
    return false;
  }
  fn = reinterpret_cast<Fn>(sym);
  return true;
}

Status try_load(const std::string& path, Api& api) {
  Status s;
  struct stat st;
  if (path.find('/') != std::string::npos && stat(path.c_str(), &st) != 0) {
    s.reason = "library not found at " + path;
    return s;
  }
  dlerror();
  // Never closed: once its CUDA runtime has started, it may own threads and
  // exit handlers that must not outlive its code.
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    s.reason = "cannot load the CUDA library at " + path + ": " + (why ? why : "unknown dlopen error");
    return s;
  }
  s.library = path;

  std::string missing;
  dlm_cuda_abi_version_fn abi_version = nullptr;
  if (!resolve(lib, "dlm_cuda_abi_version", abi_version, missing)) {
    s.reason = "the library at " + path + " is not a dilemma CUDA library (no dlm_cuda_abi_version)";
    return s;
  }
  const int abi = abi_version();
  if (abi != DLM_CUDA_ABI_VERSION) {
    s.reason = "the library at " + path + " has ABI version " + std::to_string(abi) + ", this addon needs " +
               std::to_string(DLM_CUDA_ABI_VERSION) + ": rebuild it with the addon's sources";
    return s;
  }
  dlm_cuda_device_count_fn device_count = nullptr;
  dlm_cuda_device_info_fn device_info = nullptr;
  if (!resolve(lib, "dlm_cuda_device_count", device_count, missing) ||
      !resolve(lib, "dlm_cuda_device_info", device_info, missing) ||
      !resolve(lib, "dlm_cuda_discounted_returns", api.discounted_returns, missing) ||
      !resolve(lib, "dlm_cuda_gae", api.gae, missing) ||
      !resolve(lib, "dlm_cuda_leave_one_out", api.leave_one_out, missing) ||
      !resolve(lib, "dlm_cuda_advantage_alignment", api.advantage_alignment, missing) ||
      !resolve(lib, "dlm_cuda_policy_loss", api.policy_loss, missing) ||
      !resolve(lib, "dlm_cuda_matrix_rollout", api.matrix_rollout, missing)) {
    s.reason = "the library at " + path + " lacks " + missing;
    return s;
  }
  if (!resolve(lib, "dlm_cuda_trainer_create", api.trainer_create, missing) ||
      !resolve(lib, "dlm_cuda_trainer_iterate", api.trainer_iterate, missing) ||
      !resolve(lib, "dlm_cuda_trainer_state", api.trainer_state, missing) ||
      !resolve(lib, "dlm_cuda_trainer_destroy", api.trainer_destroy, missing)) {
    api.trainer_create = nullptr;
    api.trainer_iterate = nullptr;
    api.trainer_state = nullptr;
    api.trainer_destroy = nullptr;
    api.trainer_missing = "the library at " + path + " lacks " + missing +
                          " (it predates the device trainer): rebuild it with the addon's sources";
  }

  char err[512] = "";
  const int count = device_count(err, sizeof err);
  if (count <= 0) {
    // The library words it: "no CUDA driver: ...", "driver too old: ...", "no CUDA device: ...".
    s.reason = err[0] != '\0' ? err : (count == 0 ? "no CUDA device" : "CUDA is unavailable (status " +
                                                                           std::to_string(-count) + ")");
    return s;
  }
  dlm_cuda_device_props props;
  if (device_info(0, &props, err, sizeof err) != DLM_CUDA_OK) {
    s.reason = std::string("cannot query CUDA device 0: ") + err;
    return s;
  }
  s.available = true;
  s.device = props.name;
  s.compute_capability = std::to_string(props.compute_major) + "." + std::to_string(props.compute_minor);
  return s;
}

}  // namespace

Status load(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex);
  if (ready) return current;
  Api api;
  Status s = try_load(path, api);
  if (s.available) {
    table = api;
    ready = true;
  }
  current = s;
  return s;
}

Status status() {
  std::lock_guard<std::mutex> lock(mutex);
  return current;
}

const Api* api() {
  std::lock_guard<std::mutex> lock(mutex);
  return ready ? &table : nullptr;
}

const Api& require_api() {
  std::lock_guard<std::mutex> lock(mutex);
  if (!ready) throw Error(codes::kBackendUnavailable, "the CUDA backend is unavailable: " + current.reason);
  return table;
}

const Api& require_trainer_api() {
  const Api& a = require_api();
  if (a.trainer_create == nullptr)
    throw Error(codes::kBackendUnavailable, "the CUDA device trainer is unavailable: " + a.trainer_missing);
  return a;
}

void check_status(int status, const char* err, const char* what) {
  if (status == DLM_CUDA_OK) return;
  const char* code = codes::kInternal;
  switch (status) {
    case DLM_CUDA_ERR_INVALID_ARGUMENT:
      code = codes::kInvalidArgument;
      break;
    case DLM_CUDA_ERR_OUT_OF_MEMORY:
      code = codes::kOutOfMemory;
      break;
    // The device went away or the driver changed since the library loaded.
    case DLM_CUDA_ERR_NO_DRIVER:
    case DLM_CUDA_ERR_DRIVER_TOO_OLD:
    case DLM_CUDA_ERR_NO_DEVICE:
      code = codes::kBackendUnavailable;
      break;
    default:
      break;
  }
  throw Error(code, std::string(what) + " on the CUDA backend: " + (err[0] != '\0' ? err : "failed"));
}

Napi::Object status_object(Napi::Env env, const Status& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", s.available);
  if (!s.available) o.Set("reason", s.reason);
  if (!s.device.empty()) o.Set("device", s.device);
  if (!s.compute_capability.empty()) o.Set("computeCapability", s.compute_capability);
  if (!s.library.empty()) o.Set("library", s.library);
  return o;
}

}  // namespace dilemma::addon::cuda

namespace dilemma::addon {

Napi::Value CudaLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    const std::string path = string(env, info[0], "path");
    if (path.empty()) throw_error(env, codes::kInvalidArgument, "path must not be empty");
    return cuda::status_object(env, cuda::load(path));
  });
}

}  // namespace dilemma::addon
