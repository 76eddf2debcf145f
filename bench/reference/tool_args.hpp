// Command-line reading shared by the ONNX Runtime reference tools
// (ort_bare_run, ort_step_profile): flags with values, positive counts, and
// the ONNX Runtime library to load.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include "error.hpp"

namespace dilemma::bench_tools {

// A positive integer no larger than `max`, else an error naming the argument.
inline int64_t positive(const std::string& name, const std::string& text, int64_t max) {
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 1 || v > max)
    throw Error(codes::kInvalidArgument, name + " must be a positive integer, got '" + text + "'");
  return v;
}

// DILEMMA_ORT_LIBRARY when set, else the library the build found.
inline std::string default_library() {
  const char* env = std::getenv("DILEMMA_ORT_LIBRARY");
  return env && *env ? env : DILEMMA_ORT_LIBRARY_DEFAULT;
}

// Walks argv; `value()` takes the argument after the current flag.
class ArgCursor {
 public:
  ArgCursor(int argc, char** argv) : argc_(argc), argv_(argv) {}
  bool next() { return ++i_ < argc_; }
  std::string current() const { return argv_[i_]; }
  std::string value() {
    if (i_ + 1 >= argc_) throw Error(codes::kInvalidArgument, current() + " needs a value");
    return argv_[++i_];
  }
  bool is_flag() const { return current().rfind("--", 0) == 0; }

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
};

}  // namespace dilemma::bench_tools
