// The loaded ONNX Runtime C API (only for files compiled with its headers).
#pragma once

#if DILEMMA_WITH_ORT
#include <onnxruntime_c_api.h>

#include <string>

namespace dilemma::onnx {

struct Runtime {
  const OrtApi* api = nullptr;
  OrtEnv* env = nullptr;
};

// The runtime, or ERR_BACKEND_UNAVAILABLE with the reason it could not load.
const Runtime& runtime();
// Throws code with the status message when status is an error; releases it.
void check(OrtStatus* status, const char* code, const std::string& what);

}  // namespace dilemma::onnx
#endif
