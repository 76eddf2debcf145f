// What the C++ benchmark tools (ort_bare_run, ort_step_profile,
// fused_lane_profile) share: flags with values, positive counts, the ONNX
// Runtime library to load, JSON strings, medians, and a main that reports a
// failure as one JSON line.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "error.hpp"

namespace dilemma::bench_tools {

// A positive integer no larger than `max`, else an error naming the argument.
inline int64_t positive(const std::string& name, const std::string& text, int64_t max) {
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 1 || v > max)
    throw Error(codes::kInvalidArgument,
                name + " must be an integer from 1 to " + std::to_string(max) + ", got '" + text + "'");
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

// s as a JSON string (control characters dropped).
inline std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

// The median of xs (the upper of the two middle values for an even count).
inline double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// A tool's main: main_checked's status, or 1 after writing its failure to
// stderr as {"code": ..., "error": ...}.
template <typename Main>
int run_tool(Main&& main_checked, int argc, char** argv) {
  try {
    return main_checked(argc, argv);
  } catch (const Error& e) {
    std::cerr << "{\"code\":" << quoted(e.code()) << ",\"error\":" << quoted(e.what()) << "}" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "{\"code\":\"ERR_INTERNAL\",\"error\":" << quoted(e.what()) << "}" << std::endl;
  }
  return 1;
}

}  // namespace dilemma::bench_tools
