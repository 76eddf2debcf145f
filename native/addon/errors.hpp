// Turns every C++ failure into a JavaScript error with a stable `code`.
// Every entry point runs its body through guard(), so no exception escapes to
// N-API and nothing aborts the process.
#pragma once

#include <napi.h>

#include <new>
#include <string>

#include "error.hpp"

namespace dilemma::addon {

inline Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Value().Set("code", Napi::String::New(env, code));
  return err;
}

[[noreturn]] inline void throw_error(Napi::Env env, const std::string& code, const std::string& message) {
  throw make_error(env, code, message);
}

// The code and message of the exception being handled, for use in a catch.
struct Failure {
  std::string code, message;
};

inline Failure current_failure() {
  try {
    throw;
  } catch (const Error& e) {
    return {e.code(), e.what()};
  } catch (const std::bad_alloc&) {
    return {codes::kOutOfMemory, "out of memory"};
  } catch (const std::exception& e) {
    return {codes::kInternal, std::string("internal error: ") + e.what()};
  } catch (...) {
    return {codes::kInternal, "internal error"};
  }
}

template <typename Fn>
auto guard(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    const Failure f = current_failure();
    throw make_error(env, f.code, f.message);
  }
}

}  // namespace dilemma::addon
