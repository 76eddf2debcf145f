#include "exports.hpp"
namespace dilemma::addon {
Napi::Object InitCredit(Napi::Env env, Napi::Object exports) { return exports; }
}  // namespace dilemma::addon
