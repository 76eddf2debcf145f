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
#include <cstdint>
#include <vector>

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

// An input the core reads once per element, at the element it then writes,
// may be `out` itself (the documented in-place use: `same_ok`); any other
// overlap with `out` would read values the call already overwrote, so such an
// input is read from a copy.
const float* apart_from_out(const ArrayView<float>& in, const ArrayView<float>& out, bool same_ok,
                            std::vector<float>& copy) {
  const auto lo = reinterpret_cast<uintptr_t>(in.data), o = reinterpret_cast<uintptr_t>(out.data);
  const size_t in_bytes = in.length * sizeof(float), out_bytes = out.length * sizeof(float);
  const bool overlaps = in_bytes != 0 && out_bytes != 0 && lo < o + out_bytes && o < lo + in_bytes;
  if (!overlaps || (same_ok && lo == o && in_bytes == out_bytes)) return in.data;
  copy.assign(in.data, in.data + in.length);  // bad_alloc: guard() makes it ERR_OUT_OF_MEMORY
  return copy.data();
}

size_t bytes_of(const ArrayView<float>& a) { return a.length * sizeof(float); }

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
    auto rewards_view = floats(env, o, "rewards", s.elements);
    auto out = floats(env, o, "out", s.elements);
    std::vector<float> rewards_copy;
    const float* rewards = apart_from_out(rewards_view, out, true, rewards_copy);
    if (gpu != nullptr) {
      CudaMessage m;
      cuda::check_status(
          gpu->discounted_returns(rewards, out.data, s.batch, s.steps, gamma, m.text, sizeof m.text), m.text,
          "discountedReturns");
      return o.get("out");
    }
    credit::discounted_returns(rewards, out.data, s.batch, s.steps, gamma);
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
    auto rewards_view = floats(env, o, "rewards", s.elements);
    Input<float> values = input_array<float>(env, o.get("values"), o.member("values"), value_count);
    auto out = floats(env, o, "out", s.elements);
    std::vector<float> rewards_copy;
    const float* rewards = apart_from_out(rewards_view, out, true, rewards_copy);
    values.separate_from(out.data, bytes_of(out));
    if (gpu != nullptr) {
      CudaMessage m;
      cuda::check_status(
          gpu->gae(rewards, values.data(), out.data, s.batch, s.steps, gamma, lambda, m.text, sizeof m.text), m.text,
          "gae");
      return o.get("out");
    }
    credit::gae(rewards, values.data(), out.data, s.batch, s.steps, gamma, lambda);
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
    Input<float> values = input_array<float>(env, o.get("values"), o.member("values"), s.elements);
    // Group ids are checked, then used as indices: a snapshot, kept apart from
    // out so that writing results cannot turn them into bad indices.
    Input<int32_t> group_ids;
    if (o.has("groups")) group_ids = input_array<int32_t>(env, o.get("groups"), o.member("groups"), s.batch);
    auto out = floats(env, o, "out", s.elements);
    values.separate_from(out.data, bytes_of(out));
    group_ids.separate_from(out.data, bytes_of(out));
    const int32_t* groups = group_ids.data();
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
    auto own_view = floats(env, o, "own", s.elements);
    auto others_view = floats(env, o, "others", s.elements);
    auto out = floats(env, o, "out", s.elements);
    std::vector<float> own_copy, others_copy;
    const float* own = apart_from_out(own_view, out, true, own_copy);
    const float* others = apart_from_out(others_view, out, false, others_copy);
    if (gpu != nullptr) {
      CudaMessage m;
      const int f = form == credit::AaForm::kMean ? DLM_CUDA_AA_MEAN : DLM_CUDA_AA_DISCOUNTED;
      cuda::check_status(gpu->advantage_alignment(own, others, out.data, s.batch, s.steps, beta, gamma,
                                                  include_current ? 1 : 0, f, m.text, sizeof m.text),
                         m.text, "advantageAlignment");
      return o.get("out");
    }
    credit::advantage_alignment(own, others, out.data, s.batch, s.steps, beta, gamma, include_current,
                                form);
    return o.get("out");
  });
}

// sumOfRewards({ own, others, out })
Napi::Value SumOfRewards(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Options o(env, info[0], kOwner, {"own", "others", "out"});
    auto own_view = floats(env, o, "own", -1);
    const int64_t n = static_cast<int64_t>(own_view.length);
    auto others_view = floats(env, o, "others", n);
    auto out = floats(env, o, "out", n);
    // Element by element: either input may be out itself.
    std::vector<float> own_copy, others_copy;
    const float* own = apart_from_out(own_view, out, true, own_copy);
    const float* others = apart_from_out(others_view, out, true, others_copy);
    credit::sum_of_rewards(own, others, out.data, n);
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
    Input<float> x = input_array<float>(env, o.get("x"), o.member("x"), s.elements);
    auto out = floats(env, o, "out", s.elements);
    x.separate_from(out.data, bytes_of(out));
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
