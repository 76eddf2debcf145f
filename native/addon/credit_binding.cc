// exports.credit: synchronous credit assignment over caller-owned
// Float32Arrays, written into `out` (which may be the first input). The work
// is O(batch * steps) and already split across threads, so it runs on the
// calling thread rather than as a promise.
//
// The functions with a CUDA kernel take a last argument, the backend the
// TypeScript side resolved: "cpu" (or absent) or "cuda", which runs the
// loaded library's host-pointer entry point (copies in, kernel, copies out)
// with the same arrays.
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

struct Shape {
  int64_t batch, steps, elements;
};

// batch and steps at info[at], info[at + 1]; the product is checked before
// any array length is compared with it.
Shape shape(const Napi::CallbackInfo& info, size_t at, const char* what) {
  Napi::Env env = info.Env();
  const int64_t batch = integer(env, info[at], "batch", 1, kMaxElements);
  const int64_t steps = integer(env, info[at + 1], "steps", 1, kMaxElements);
  return {batch, steps, checked_elements(what, {batch, steps})};
}

float unit(const Napi::CallbackInfo& info, size_t at, const char* name) {
  return static_cast<float>(number(info.Env(), info[at], name, 0.0, 1.0));
}

// The loaded library when info[at] is "cuda"; nullptr for "cpu" or absent.
const cuda::Api* backend(const Napi::CallbackInfo& info, size_t at) {
  Napi::Env env = info.Env();
  if (at >= info.Length() || info[at].IsUndefined()) return nullptr;
  const std::string name = string(env, info[at], "backend");
  if (name == "cpu") return nullptr;
  if (name != "cuda")
    throw_error(env, codes::kInvalidArgument, "backend must be \"cpu\" or \"cuda\", got \"" + name + "\"");
  return &cuda::require_api();
}

// A message buffer for the library's errors.
struct CudaMessage {
  char text[512] = "";
};

// discountedReturns(rewards, out, batch, steps, gamma, backend?)
Napi::Value DiscountedReturns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Shape s = shape(info, 2, "rewards");
    auto rewards = typed_array<float>(env, info[0], "rewards", s.elements);
    auto out = typed_array<float>(env, info[1], "out", s.elements);
    const float gamma = unit(info, 4, "gamma");
    if (const cuda::Api* gpu = backend(info, 5)) {
      CudaMessage m;
      cuda::check_status(
          gpu->discounted_returns(rewards.data, out.data, s.batch, s.steps, gamma, m.text, sizeof m.text), m.text,
          "discountedReturns");
      return info[1];
    }
    credit::discounted_returns(rewards.data, out.data, s.batch, s.steps, gamma);
    return info[1];
  });
}

// gae(rewards, values, out, batch, steps, gamma, lambda, backend?)
Napi::Value Gae(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Shape s = shape(info, 3, "rewards");
    const int64_t value_count = checked_elements("values", {s.batch, s.steps + 1});
    auto rewards = typed_array<float>(env, info[0], "rewards", s.elements);
    const Input<float> values = input_array<float>(env, info[1], "values", value_count);
    auto out = typed_array<float>(env, info[2], "out", s.elements);
    const float gamma = unit(info, 5, "gamma");
    const float lambda = unit(info, 6, "lambda");
    if (const cuda::Api* gpu = backend(info, 7)) {
      CudaMessage m;
      cuda::check_status(
          gpu->gae(rewards.data, values.data(), out.data, s.batch, s.steps, gamma, lambda, m.text, sizeof m.text), m.text,
          "gae");
      return info[2];
    }
    credit::gae(rewards.data, values.data(), out.data, s.batch, s.steps, gamma, lambda);
    return info[2];
  });
}

// leaveOneOut(values, groups | undefined, out, batch, steps, backend?)
Napi::Value LeaveOneOut(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Shape s = shape(info, 3, "values");
    const Input<float> values = input_array<float>(env, info[0], "values", s.elements);
    // Group ids are checked, then used as indices: a snapshot.
    Input<int32_t> group_ids;
    if (!info[1].IsUndefined()) group_ids = input_array<int32_t>(env, info[1], "groups", s.batch);
    const int32_t* groups = group_ids.data();
    auto out = typed_array<float>(env, info[2], "out", s.elements);
    if (const cuda::Api* gpu = backend(info, 5)) {
      CudaMessage m;
      cuda::check_status(gpu->leave_one_out(values.data(), groups, out.data, s.batch, s.steps, m.text, sizeof m.text),
                         m.text, "leaveOneOut");
      return info[2];
    }
    credit::leave_one_out(values.data(), groups, out.data, s.batch, s.steps);
    return info[2];
  });
}

// advantageAlignment(own, others, out, batch, steps, beta, gamma, includeCurrent, form, backend?)
Napi::Value AdvantageAlignment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Shape s = shape(info, 3, "own");
    auto own = typed_array<float>(env, info[0], "own", s.elements);
    auto others = typed_array<float>(env, info[1], "others", s.elements);
    auto out = typed_array<float>(env, info[2], "out", s.elements);
    const float beta = static_cast<float>(number(env, info[5], "beta", -FLT_MAX, FLT_MAX));
    const float gamma = unit(info, 6, "gamma");
    const bool include_current = boolean(env, info[7], "includeCurrent");
    const std::string form_name = string(env, info[8], "form");
    credit::AaForm form;
    if (form_name == "discounted")
      form = credit::AaForm::kDiscounted;
    else if (form_name == "mean")
      form = credit::AaForm::kMean;
    else
      throw_error(env, codes::kInvalidArgument, "form must be \"discounted\" or \"mean\", got \"" + form_name + "\"");
    if (const cuda::Api* gpu = backend(info, 9)) {
      CudaMessage m;
      const int f = form == credit::AaForm::kMean ? DLM_CUDA_AA_MEAN : DLM_CUDA_AA_DISCOUNTED;
      cuda::check_status(gpu->advantage_alignment(own.data, others.data, out.data, s.batch, s.steps, beta, gamma,
                                                  include_current ? 1 : 0, f, m.text, sizeof m.text),
                         m.text, "advantageAlignment");
      return info[2];
    }
    credit::advantage_alignment(own.data, others.data, out.data, s.batch, s.steps, beta, gamma, include_current,
                                form);
    return info[2];
  });
}

// sumOfRewards(own, others, out)
Napi::Value SumOfRewards(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto own = typed_array<float>(env, info[0], "own", -1);
    const int64_t n = static_cast<int64_t>(own.length);
    auto others = typed_array<float>(env, info[1], "others", n);
    auto out = typed_array<float>(env, info[2], "out", n);
    credit::sum_of_rewards(own.data, others.data, out.data, n);
    return info[2];
  });
}

// whiten(x, out, batch, steps, perStep, eps)
Napi::Value Whiten(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Shape s = shape(info, 2, "x");
    const Input<float> x = input_array<float>(env, info[0], "x", s.elements);
    auto out = typed_array<float>(env, info[1], "out", s.elements);
    const bool per_step = boolean(env, info[4], "perStep");
    const double eps = number(env, info[5], "eps", 0.0, DBL_MAX);
    if (!(eps > 0.0)) throw_error(env, codes::kInvalidArgument, "eps must be a finite number > 0, got 0");
    credit::whiten(x.data(), out.data, s.batch, s.steps, per_step, eps);
    return info[1];
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
