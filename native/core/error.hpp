// Errors raised by the core. Every failure carries a stable code that the
// Node addon copies onto the JavaScript error; the core never aborts.
#pragma once

#include <stdexcept>
#include <string>

namespace dilemma {

namespace codes {
inline constexpr const char* kInvalidArgument = "ERR_INVALID_ARGUMENT";
inline constexpr const char* kInvalidParam = "ERR_INVALID_PARAM";
inline constexpr const char* kUnknownGame = "ERR_UNKNOWN_GAME";
inline constexpr const char* kUnknownStrategy = "ERR_UNKNOWN_STRATEGY";
inline constexpr const char* kUnsupported = "ERR_UNSUPPORTED";
inline constexpr const char* kTooLarge = "ERR_TOO_LARGE";
inline constexpr const char* kOutOfMemory = "ERR_OUT_OF_MEMORY";
inline constexpr const char* kDisposed = "ERR_DISPOSED";
inline constexpr const char* kBackendUnavailable = "ERR_BACKEND_UNAVAILABLE";
inline constexpr const char* kModelLoad = "ERR_MODEL_LOAD";
inline constexpr const char* kModelInputs = "ERR_MODEL_INPUTS";
inline constexpr const char* kModelType = "ERR_MODEL_TYPE";
inline constexpr const char* kModelShape = "ERR_MODEL_SHAPE";
inline constexpr const char* kModelRun = "ERR_MODEL_RUN";
inline constexpr const char* kModelOutput = "ERR_MODEL_OUTPUT";
inline constexpr const char* kInternal = "ERR_INTERNAL";
}  // namespace codes

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

}  // namespace dilemma
