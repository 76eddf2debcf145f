// exports.loss: policy losses and their logits gradients over caller-owned
// typed arrays, for custom trainers. Synchronous: the work is a few passes
// over [rows, actions] floats, already split across threads, so a promise
// would cost more than it hides.
#include <napi.h>

#include <cfloat>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "args.hpp"
#include "env.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "gpu_entries.hpp"
#include "learn/loss.hpp"
#include "typed_out.hpp"

namespace dilemma::addon {

namespace {

constexpr const char* kOwner = "options";

std::string member(const char* key) { return std::string(kOwner) + "." + key; }

// The core reads every input twice (a checking pass, then the loss), so an
// array on a SharedArrayBuffer is copied first: otherwise another thread
// could turn a checked action into an out-of-range index between the passes.
template <typename T>
const T* input(Napi::Env env, const Napi::Object& o, const char* key, int64_t length, std::vector<T>& copy) {
  const Napi::Value v = o.Get(key);
  return read_stable(env, v, typed_array<T>(env, v, member(key), length), copy);
}

// An optional input: null when absent or undefined.
template <typename T>
const T* optional_input(Napi::Env env, const Napi::Object& o, const char* key, int64_t length, std::vector<T>& copy) {
  return has(o, key) ? input<T>(env, o, key, length, copy) : nullptr;
}

// The core names its arguments as C++ does; a JavaScript caller sees the
// option it passed instead.
std::string js_names(std::string message) {
  static const std::pair<const char*, const char*> names[] = {
      {"ref_logits", "options.referenceLogits"}, {"ref_logp", "options.referenceLogProbs"},
      {"behavior_logp", "options.behaviorLogProbs"}, {"logits", "options.logits"},
      {"actions", "options.actions"},           {"credits", "options.credits"},
      {"mask", "options.mask"},                 {"ratio_cap", "options.ratioCap"},
      {"kl_coef", "options.klCoef"},            {"entropy_coef", "options.entropyCoef"},
      {"clip", "options.clip"},                 {"normalizer", "options.normalize"},
  };
  for (const auto& [core, js] : names) {
    const size_t n = std::char_traits<char>::length(core);
    if (message.compare(0, n, core) == 0 && (message.size() == n || message[n] == '[' || message[n] == ' '))
      return js + message.substr(n);
  }
  return message;
}

template <typename Fn>
auto renamed(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    throw Error(e.code(), js_names(e.what()));
  }
}

// policyGradient({ logits, actions, credits, mask?, behaviorLogProbs?,
//   referenceLogits?, referenceLogProbs?, out?, rows, actionCount, objective,
//   ratioCap, clip, entropyCoef, klCoef, normalize, backend? }): backend "cuda" runs the CUDA kernel
Napi::Value PolicyGradient(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const Napi::Object o = object_arg(env, info[0], kOwner);
    const int64_t rows = integer(env, o.Get("rows"), member("rows"), 1, kMaxElements);
    const int A = static_cast<int>(integer(env, o.Get("actionCount"), member("actionCount"), 1, kMaxElements));
    const int64_t n = checked_elements("options.logits", {rows, static_cast<int64_t>(A)});

    std::vector<float> logits_copy, credits_copy, behavior_copy, ref_logits_copy, ref_logp_copy;
    std::vector<int32_t> actions_copy;
    std::vector<uint8_t> mask_copy;
    const float* logits = input<float>(env, o, "logits", n, logits_copy);
    const int32_t* actions = input<int32_t>(env, o, "actions", rows, actions_copy);
    const float* credits = input<float>(env, o, "credits", rows, credits_copy);
    const uint8_t* mask = optional_input<uint8_t>(env, o, "mask", rows, mask_copy);
    const float* behavior = optional_input<float>(env, o, "behaviorLogProbs", rows, behavior_copy);
    const float* ref_logits = optional_input<float>(env, o, "referenceLogits", n, ref_logits_copy);
    const float* ref_logp = optional_input<float>(env, o, "referenceLogProbs", rows, ref_logp_copy);

    learn::LossTerms terms;
    const std::string objective = string(env, o.Get("objective"), member("objective"));
    if (objective == "reinforce")
      terms.objective = learn::LossObjective::kReinforce;
    else if (objective == "ppo")
      terms.objective = learn::LossObjective::kPpo;
    else
      throw_error(env, codes::kInvalidArgument, member("objective") + " must be \"reinforce\" or \"ppo\", got \"" + objective + "\"");

    // +Infinity is the documented way to switch the cap off.
    const Napi::Value cap = o.Get("ratioCap");
    if (cap.IsNumber() && std::isinf(cap.As<Napi::Number>().DoubleValue()) && cap.As<Napi::Number>().DoubleValue() > 0)
      terms.ratio_cap = INFINITY;
    else
      terms.ratio_cap = static_cast<float>(number(env, cap, member("ratioCap"), 0.0, FLT_MAX));
    terms.clip = static_cast<float>(number(env, o.Get("clip"), member("clip"), 0.0, 1.0));
    terms.entropy_coef = static_cast<float>(number(env, o.Get("entropyCoef"), member("entropyCoef"), -FLT_MAX, FLT_MAX));
    terms.kl_coef = static_cast<float>(number(env, o.Get("klCoef"), member("klCoef"), 0.0, FLT_MAX));

    const Napi::Value normalize = o.Get("normalize");
    if (normalize.IsNumber()) {
      terms.normalize = learn::LossNormalize::kConstant;
      terms.normalizer = number(env, normalize, member("normalize"), 1e-30, 1e30);
    } else {
      const std::string mode = string(env, normalize, member("normalize"));
      if (mode == "mask")
        terms.normalize = learn::LossNormalize::kMask;
      else if (mode == "rows")
        terms.normalize = learn::LossNormalize::kRows;
      else
        throw_error(env, codes::kInvalidArgument,
                    member("normalize") + " must be \"mask\", \"rows\" or a number, got \"" + mode + "\"");
    }

    const Napi::Value out = has(o, "out") ? o.Get("out") : Napi::Value(new_array<float>(env, n));
    float* dlogits = typed_array<float>(env, out, member("out"), n).data;

    const bool on_gpu = gpu::want_of(env, o, "backend", member("backend")) != gpu::Want::kNo;
    const learn::LossResult r = renamed([&] {
      if (on_gpu)
        return gpu::policy_loss(logits, rows, A, actions, credits, mask, behavior, ref_logits, ref_logp, terms,
                                dlogits);
      return learn::policy_loss(logits, rows, A, actions, credits, mask, behavior, ref_logits, ref_logp, terms,
                                dlogits);
    });
    Napi::Object res = Napi::Object::New(env);
    res.Set("loss", r.loss);
    res.Set("policyLoss", r.policy);
    res.Set("entropy", r.entropy);
    res.Set("kl", r.kl);
    res.Set("clippedFraction", r.clipped_fraction);
    res.Set("liveRows", static_cast<double>(r.live_rows));
    res.Set("gradLogits", out);
    return res;
  });
}

// logSoftmax(logits, out | undefined, rows, actionCount)
Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const int64_t rows = integer(env, info[2], "rows", 1, kMaxElements);
    const int A = static_cast<int>(integer(env, info[3], "actions", 1, kMaxElements));
    const int64_t n = checked_elements("logits", {rows, static_cast<int64_t>(A)});
    std::vector<float> copy;
    const float* logits = read_stable(env, info[0], typed_array<float>(env, info[0], "logits", n), copy);
    Napi::Value out_value = info[1].IsUndefined() ? Napi::Value(new_array<float>(env, n)) : info[1];
    auto out = typed_array<float>(env, out_value, "out", n);
    learn::log_softmax(logits, rows, A, out.data);
    return out_value;
  });
}

}  // namespace

Napi::Object InitLoss(Napi::Env env, Napi::Object exports) {
  Napi::Object loss = Napi::Object::New(env);
  loss.Set("policyGradient", Napi::Function::New<PolicyGradient>(env, "policyGradient"));
  loss.Set("logSoftmax", Napi::Function::New<LogSoftmax>(env, "logSoftmax"));
  exports.Set("loss", loss);
  return exports;
}

}  // namespace dilemma::addon
