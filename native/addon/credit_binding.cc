// exports.credit: synchronous credit assignment over caller-owned
// Float32Arrays, written into `out` (which may be the first input). The work
// is O(batch * steps) and already split across threads, so it runs on the
// calling thread rather than as a promise.
//
// Each function takes one options object, read once (Options) before any
// member is checked or any array's memory is looked at, so a getter or Proxy
// trap cannot detach or shrink an array after its view was taken. The
// functions with a CUDA kernel read options.backend, which the TypeScript side
// resolved: "cpu" (or absent) or "cuda", which runs the loaded library's
// host-pointer entry point (copies in, kernel, copies out) with the same arrays.
//
// An input that the core reads more than once (GAE's values, leave-one-out's
// values and groups, whiten's x) is a snapshot (input_array): copied first
// when it lives on a SharedArrayBuffer; the others are read exactly once
// per element.
#include <napi.h>

#include <cfloat>

#include "args.hpp"
#include "credit.hpp"
#include "cuda_loader.hpp"
#include "env.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "typed_out.hpp"

namespace dilemma::addon {

namespace {

constexpr const char* kOwner = "options";

struct Shape {
  int64_t batch, steps, elements;
};

// options.batch and options.steps; the product is checked (naming `what`)
// before any array length is compared with it.
Shape shape(Napi::Env env, const Options& o, const char* what) {
  const int64_t batch = integer(env, o.get("batch"), o.member("batch"), 1, kMaxElements);
  const int64_t steps = integer(env, o.get("steps"), o.member("steps"), 1, kMaxElements);
  return {batch, steps, checked_elements(what, {batch, steps})};
}

float unit(Napi::Env env, const Options& o, const char* key) {
  return static_cast<float>(number(env, o.get(key), o.member(key), 0.0, 1.0));
}

// A caller-owned array the core writes (or reads once per element).
ArrayView<float> floats(Napi::Env env, const Options& o, const char* key, int64_t length) {
  return typed_array<float>(env, o.get(key), o.member(key), length);
}

// The loaded library when options.backend is "cuda"; nullptr for "cpu" or absent.
const cuda::Api* backend(Napi::Env env, const Options& o) {
  if (!o.has("backend")) return nullptr;
  const std::string name = string(env, o.get("backend"), o.member("backend"));
  if (name == "cpu") return nullptr;
  if (name != "cuda")
    throw_error(env, codes::kInvalidArgument, o.member("backend") + " must be \"cpu\" or \"cuda\", got \"" + name + "\"");
  return &cuda::require_api();
}

// A message buffer for the library's errors.
struct CudaMessage {
  char text[512] = "";
};

// discountedReturns({ rewards, out, batch, steps, gamma, backend? })
Napi::Value DiscountedReturns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Options o(env, info[0], kOwner, {"rewards", "out", "batch", "steps", "gamma", "backend"});
    const Shape s = shape(env, o, "options.rewards");
    const float gamma = unit(env, o, "gamma");
    const cuda::Api* gpu = backend(env, o);
    auto rewards = floats(env, o, "rewards", s.elements);
    auto out = floats(env, o, "out", s.elements);
    if (gpu != nullptr) {
      CudaMessage m;
      cuda::check_status(
          gpu->discounted_returns(rewards.data, out.data, s.batch, s.steps, gamma, m.text, sizeof m.text), m.text,
          "discountedReturns");
      return o.get("out");
    }
    credit::discounted_returns(rewards.data, out.data, s.batch, s.steps, gamma);
    return o.get("out");
  });
}

// gae({ rewards, values, out, batch, steps, gamma, lambda, backend? })
Napi::Value Gae(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Options o(env, info[0], kOwner, {"rewards", "values", "out", "batch", "steps", "gamma", "lambda", "backend"});
    const Shape s = shape(env, o, "options.rewards");
    const int64_t value_count = checked_elements("options.values", {s.batch, s.steps + 1});
    const float gamma = unit(env, o, "gamma");
    const float lambda = unit(env, o, "lambda");
    const cuda::Api* gpu = backend(env, o);
    auto rewards = floats(env, o, "rewards", s.elements);
    const Input<float> values = input_array<float>(env, o.get("values"), o.member("values"), value_count);
    auto out = floats(env, o, "out", s.elements);
    if (gpu != nullptr) {
      CudaMessage m;
      cuda::check_status(
          gpu->gae(rewards.data, values.data(), out.data, s.batch, s.steps, gamma, lambda, m.text, sizeof m.text), m.text,
          "gae");
      return o.get("out");
    }
    credit::gae(rewards.data, values.data(), out.data, s.batch, s.steps, gamma, lambda);
    return o.get("out");
  });
}

// leaveOneOut({ values, groups?, out, batch, steps, backend? })
Napi::Value LeaveOneOut(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Options o(env, info[0], kOwner, {"values", "groups", "out", "batch", "steps", "backend"});
    const Shape s = shape(env, o, "options.values");
    const cuda::Api* gpu = backend(env, o);
    const Input<float> values = input_array<float>(env, o.get("values"), o.member("values"), s.elements);
    // Group ids are checked, then used as indices: a snapshot.
    Input<int32_t> group_ids;
    if (o.has("groups")) group_ids = input_array<int32_t>(env, o.get("groups"), o.member("groups"), s.batch);
    const int32_t* groups = group_ids.data();
    auto out = floats(env, o, "out", s.elements);
    if (gpu != nullptr) {
      CudaMessage m;
      cuda::check_status(gpu->leave_one_out(values.data(), groups, out.data, s.batch, s.steps, m.text, sizeof m.text),
                         m.text, "leaveOneOut");
      return o.get("out");
    }
    credit::leave_one_out(values.data(), groups, out.data, s.batch, s.steps);
    return o.get("out");
  });
}

// advantageAlignment({ own, others, out, batch, steps, beta, gamma, includeCurrent, form, backend? })
Napi::Value AdvantageAlignment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Options o(env, info[0], kOwner,
                    {"own", "others", "out", "batch", "steps", "beta", "gamma", "includeCurrent", "form", "backend"});
    const Shape s = shape(env, o, "options.own");
    const float beta = static_cast<float>(number(env, o.get("beta"), o.member("beta"), -FLT_MAX, FLT_MAX));
    const float gamma = unit(env, o, "gamma");
    const bool include_current = boolean(env, o.get("includeCurrent"), o.member("includeCurrent"));
    const std::string form_name = string(env, o.get("form"), o.member("form"));
    credit::AaForm form;
    if (form_name == "discounted")
      form = credit::AaForm::kDiscounted;
    else if (form_name == "mean")
      form = credit::AaForm::kMean;
    else
      throw_error(env, codes::kInvalidArgument,
                  o.member("form") + " must be \"discounted\" or \"mean\", got \"" + form_name + "\"");
    const cuda::Api* gpu = backend(env, o);
    auto own = floats(env, o, "own", s.elements);
    auto others = floats(env, o, "others", s.elements);
    auto out = floats(env, o, "out", s.elements);
    if (gpu != nullptr) {
      CudaMessage m;
      const int f = form == credit::AaForm::kMean ? DLM_CUDA_AA_MEAN : DLM_CUDA_AA_DISCOUNTED;
      cuda::check_status(gpu->advantage_alignment(own.data, others.data, out.data, s.batch, s.steps, beta, gamma,
                                                  include_current ? 1 : 0, f, m.text, sizeof m.text),
                         m.text, "advantageAlignment");
      return o.get("out");
    }
    credit::advantage_alignment(own.data, others.data, out.data, s.batch, s.steps, beta, gamma, include_current,
                                form);
    return o.get("out");
  });
}

// sumOfRewards({ own, others, out })
Napi::Value SumOfRewards(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Options o(env, info[0], kOwner, {"own", "others", "out"});
    auto own = floats(env, o, "own", -1);
    const int64_t n = static_cast<int64_t>(own.length);
    auto others = floats(env, o, "others", n);
    auto out = floats(env, o, "out", n);
    credit::sum_of_rewards(own.data, others.data, out.data, n);
    return o.get("out");
  });
}

// whiten({ x, out, batch, steps, perStep, eps })
Napi::Value Whiten(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Options o(env, info[0], kOwner, {"x", "out", "batch", "steps", "perStep", "eps"});
    const Shape s = shape(env, o, "options.x");
    const bool per_step = boolean(env, o.get("perStep"), o.member("perStep"));
    const double eps = number(env, o.get("eps"), o.member("eps"), 0.0, DBL_MAX);
    if (!(eps > 0.0)) throw_error(env, codes::kInvalidArgument, o.member("eps") + " must be a finite number > 0, got 0");
    const Input<float> x = input_array<float>(env, o.get("x"), o.member("x"), s.elements);
    auto out = floats(env, o, "out", s.elements);
    credit::whiten(x.data(), out.data, s.batch, s.steps, per_step, eps);
    return o.get("out");
  });
}

}  // namespace

Napi::Object InitCredit(Napi::Env env, Napi::Object exports) {
  Napi::Object credit = Napi::Object::New(env);
  credit.Set("discountedReturns", Napi::Function::New<DiscountedReturns>(env, "discountedReturns"));
  credit.Set("gae", Napi::Function::New<Gae>(env, "gae"));
  credit.Set("leaveOneOut", Napi::Function::New<LeaveOneOut>(env, "leaveOneOut"));
  credit.Set("advantageAlignment", Napi::Function::New<AdvantageAlignment>(env, "advantageAlignment"));
  credit.Set("sumOfRewards", Napi::Function::New<SumOfRewards>(env, "sumOfRewards"));
  credit.Set("whiten", Napi::Function::New<Whiten>(env, "whiten"));
  exports.Set("credit", credit);
  return exports;
}

}  // namespace dilemma::addon
