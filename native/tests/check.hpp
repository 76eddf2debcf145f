// A small test harness for the core, so the C++ tests need nothing beyond a
// compiler (they also run on GPU machines with no package registry).
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"

namespace dtest {

struct Case {
  const char* name;
  std::function<void()> fn;
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}

struct Register {
  Register(const char* name, std::function<void()> fn) { cases().push_back({name, std::move(fn)}); }
};

struct Failure {
  std::string message;
};

// Thrown by SKIP(): the case is reported as skipped, with its reason.
struct Skipped {
  std::string reason;
};

inline void fail(const char* file, int line, const std::string& what) {
  std::ostringstream s;
  s << file << ":" << line << ": " << what;
  throw Failure{s.str()};
}

// The one tolerance rule of the project: |got - want| <= atol + rtol * |want|.
inline bool close(double got, double want, double rtol, double atol) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  return std::fabs(got - want) <= atol + rtol * std::fabs(want);
}

// Runs fn and requires a dilemma::Error with this code whose message contains fragment.
inline void expect_error(const std::function<void()>& fn, const std::string& code, const std::string& fragment) {
  try {
    fn();
  } catch (const dilemma::Error& e) {
    if (e.code() != code) fail(__FILE__, __LINE__, "wrong code " + e.code() + ": " + e.what());
    if (std::string(e.what()).find(fragment) == std::string::npos)
      fail(__FILE__, __LINE__, "message '" + std::string(e.what()) + "' lacks '" + fragment + "'");
    return;
  }
  fail(__FILE__, __LINE__, "expected " + code + " mentioning '" + fragment + "'");
}

}  // namespace dtest

#define DT_CAT2(a, b) a##b
#define DT_CAT(a, b) DT_CAT2(a, b)
#define TEST(name)                                                   \
  static void DT_CAT(test_fn_, __LINE__)();                          \
  static dtest::Register DT_CAT(test_reg_, __LINE__)(name, DT_CAT(test_fn_, __LINE__)); \
  static void DT_CAT(test_fn_, __LINE__)()

#define SKIP(reason) throw dtest::Skipped{reason}

#define CHECK(cond) \
  do { if (!(cond)) dtest::fail(__FILE__, __LINE__, "CHECK(" #cond ") failed"); } while (0)

#define CHECK_EQ(a, b)                                                                      \
  do {                                                                                      \
    const auto va_ = (a);                                                                   \
    const auto vb_ = (b);                                                                   \
    if (!(va_ == vb_)) {                                                                    \
      std::ostringstream s_;                                                                \
      s_ << "CHECK_EQ(" #a ", " #b "): " << +va_ << " != " << +vb_;                         \
      dtest::fail(__FILE__, __LINE__, s_.str());                                            \
    }                                                                                       \
  } while (0)

#define CHECK_CLOSE(got, want, rtol, atol)                                                  \
  do {                                                                                      \
    const double g_ = (got), w_ = (want);                                                   \
    if (!dtest::close(g_, w_, rtol, atol)) {                                                \
      std::ostringstream s_;                                                                \
      s_.precision(9);                                                                      \
      s_ << "CHECK_CLOSE(" #got ", " #want "): " << g_ << " vs " << w_;                     \
      dtest::fail(__FILE__, __LINE__, s_.str());                                            \
    }                                                                                       \
  } while (0)

#define CHECK_THROWS_CODE(expr, want_code)                                                  \
  do {                                                                                      \
    bool threw_ = false;                                                                    \
    try {                                                                                   \
      (void)(expr);                                                                         \
    } catch (const dilemma::Error& e_) {                                                    \
      threw_ = true;                                                                        \
      if (e_.code() != std::string(want_code))                                              \
        dtest::fail(__FILE__, __LINE__, std::string("wrong code ") + e_.code() + ": " + e_.what()); \
    }                                                                                       \
    if (!threw_) dtest::fail(__FILE__, __LINE__, std::string("expected " #expr " to throw ") + (want_code)); \
  } while (0)
