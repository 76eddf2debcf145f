// Opens ONNX Runtime with dlopen at run time: the library ships with the
// onnxruntime-node package, and the engine asks for the API version of the
// headers it was built with (older than the runtime, which is what must hold).
#include <dlfcn.h>

#include <mutex>

#include "../error.hpp"
#include "onnx.hpp"
#include "ort_runtime.hpp"

namespace dilemma::onnx {

namespace {
std::mutex mu;
RuntimeStatus status;
[[maybe_unused]] bool loaded = false;
#if DILEMMA_WITH_ORT
Runtime rt;
#endif
}  // namespace

RuntimeStatus runtime_status() {
  std::lock_guard<std::mutex> lock(mu);
#if DILEMMA_WITH_ORT
  if (!loaded && status.reason.empty()) {
    RuntimeStatus s;
    s.compiled = true;
    s.reason = "ONNX Runtime has not been loaded yet";
    s.api_version = ORT_API_VERSION;
    return s;
  }
  return status;
#else
  RuntimeStatus s;
  s.reason = "the addon was built without ONNX Runtime headers";
  return s;
#endif
}

RuntimeStatus load_runtime(const std::string& path) {
#if DILEMMA_WITH_ORT
  {
    std::lock_guard<std::mutex> lock(mu);
    if (loaded) return status;
    RuntimeStatus s;
    s.compiled = true;
    s.api_version = ORT_API_VERSION;
    s.library = path;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* e = dlerror();
      s.reason = "cannot open " + path + ": " + (e ? e : "unknown error");
      status = s;
      return s;
    }
    using GetApiBase = const OrtApiBase* (*)();
    auto get_base = reinterpret_cast<GetApiBase>(dlsym(handle, "OrtGetApiBase"));
    const OrtApiBase* base = get_base ? get_base() : nullptr;
    if (!base) {
      s.reason = path + " is not an ONNX Runtime library (no OrtGetApiBase)";
      status = s;
      return s;
    }
    s.version = base->GetVersionString ? base->GetVersionString() : "";
    const OrtApi* api = base->GetApi(ORT_API_VERSION);
    if (!api) {
      s.reason = "ONNX Runtime " + s.version + " does not provide C API version " + std::to_string(ORT_API_VERSION);
      status = s;
      return s;
    }
    OrtEnv* env = nullptr;
    if (OrtStatus* st = api->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "dilemma", &env)) {
      s.reason = std::string("ONNX Runtime could not create its environment: ") + api->GetErrorMessage(st);
      api->ReleaseStatus(st);
      status = s;
      return s;
    }
    rt.api = api;
    rt.env = env;
    s.available = true;
    status = s;
    loaded = true;
    return s;
  }
#else
  (void)path;
  return runtime_status();
#endif
}

#if DILEMMA_WITH_ORT
const Runtime& runtime() {
  std::lock_guard<std::mutex> lock(mu);
  if (!loaded)
    throw Error(codes::kBackendUnavailable,
                "ONNX Runtime is unavailable: " + (status.reason.empty() ? std::string("not loaded") : status.reason));
  return rt;
}

void check(OrtStatus* st, const char* code, const std::string& what) {
  if (!st) return;
  const OrtApi* api = rt.api;
  std::string message = what + ": " + api->GetErrorMessage(st);
  api->ReleaseStatus(st);
  throw Error(code, message);
}
#endif

}  // namespace dilemma::onnx
