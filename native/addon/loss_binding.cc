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

// Every input is a snapshot (input_array): an array on a SharedArrayBuffer
// is copied before the core's checking pass, so another thread cannot turn a
// checked action into an out-of-range index before the loss pass.
template <typename T>
Input<T> input(Napi::Env env, const Options& o, const char* key, int64_t length) {
  return input_array<T>(env, o.get(key), member(key), length);
}

// An optional input: empty (null data) when absent or undefined.
template <typename T>
Input<T> optional_input(Napi::Env env, const Options& o, const char* key, int64_t length) {
  return o.has(key) ? input<T>(env, o, key, length) : Input<T>();
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
    // Every member is read here, once, before anything is checked or any
    // array's memory is looked at: a getter or Proxy trap that detaches or
    // shrinks an array has run before its view is taken.
    const Options o(env, info[0], kOwner,
                    {"rows", "actionCount", "logits", "actions", "credits", "mask", "behaviorLogProbs",
                     "referenceLogits", "referenceLogProbs", "objective", "ratioCap", "clip", "entropyCoef", "klCoef",
                     "normalize", "out", "backend"});
    const int64_t rows = integer(env, o.get("rows"), member("rows"), 1, kMaxElements);
    const int A = static_cast<int>(integer(env, o.get("actionCount"), member("actionCount"), 1, kMaxElements));
    const int64_t n = checked_elements("options.logits", {rows, static_cast<int64_t>(A)});

    Input<float> logits_in = input<float>(env, o, "logits", n);
    Input<int32_t> actions_in = input<int32_t>(env, o, "actions", rows);
    Input<float> credits_in = input<float>(env, o, "credits", rows);
    Input<uint8_t> mask_in = optional_input<uint8_t>(env, o, "mask", rows);
    Input<float> behavior_in = optional_input<float>(env, o, "behaviorLogProbs", rows);
    Input<float> ref_logits_in = optional_input<float>(env, o, "referenceLogits", n);
    Input<float> ref_logp_in = optional_input<float>(env, o, "referenceLogProbs", rows);

    learn::LossTerms terms;
    const std::string objective = string(env, o.get("objective"), member("objective"));
    if (objective == "reinforce")
      terms.objective = learn::LossObjective::kReinforce;
    else if (objective == "ppo")
      terms.objective = learn::LossObjective::kPpo;
    else
      throw_error(env, codes::kInvalidArgument, member("objective") + " must be \"reinforce\" or \"ppo\", got \"" + objective + "\"");

    // +Infinity is the documented way to switch the cap off.
    const Napi::Value cap = o.get("ratioCap");
    if (cap.IsNumber() && std::isinf(cap.As<Napi::Number>().DoubleValue()) && cap.As<Napi::Number>().DoubleValue() > 0)
      terms.ratio_cap = INFINITY;
    else
      terms.ratio_cap = static_cast<float>(number(env, cap, member("ratioCap"), 0.0, FLT_MAX));
    terms.clip = static_cast<float>(number(env, o.get("clip"), member("clip"), 0.0, 1.0));
    terms.entropy_coef = static_cast<float>(number(env, o.get("entropyCoef"), member("entropyCoef"), -FLT_MAX, FLT_MAX));
    terms.kl_coef = static_cast<float>(number(env, o.get("klCoef"), member("klCoef"), 0.0, FLT_MAX));

    const Napi::Value normalize = o.get("normalize");
    if (normalize.IsNumber()) {
      terms.normalize = learn::LossNormalize::kConstant;
      terms.normalizer = number(env, normalize, member("normalize"), limits::kMinNormalizer, limits::kMaxNormalizer);
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

    const Napi::Value out = o.has("out") ? o.get("out") : Napi::Value(new_array<float>(env, n, "options.out"));
    float* dlogits = typed_array<float>(env, out, member("out"), n).data;
    // Inputs that share memory with out are read from copies.
    const size_t out_bytes = static_cast<size_t>(n) * sizeof(float);
    logits_in.separate_from(dlogits, out_bytes);
    actions_in.separate_from(dlogits, out_bytes);
    credits_in.separate_from(dlogits, out_bytes);
    mask_in.separate_from(dlogits, out_bytes);
    behavior_in.separate_from(dlogits, out_bytes);
    ref_logits_in.separate_from(dlogits, out_bytes);
    ref_logp_in.separate_from(dlogits, out_bytes);
    const float* logits = logits_in.data();
    const int32_t* actions = actions_in.data();
    const float* credits = credits_in.data();
    const uint8_t* mask = mask_in.data();
    const float* behavior = behavior_in.data();
    const float* ref_logits = ref_logits_in.data();
    const float* ref_logp = ref_logp_in.data();

    const bool on_gpu = gpu::want_of(env, o.get("backend"), member("backend")) != gpu::Want::kNo;
    const learn::LossResult r = renamed([&] {
      if (on_gpu)
        return gpu::policy_loss(logits, rows, A, actions, credits, mask, behavior, ref_logits, ref_logp, terms,
                                dlogits);
      return learn::policy_loss(logits, rows, A, actions, credits, mask, behavior, ref_logits, ref_logp, terms,
                                dlogits);
    });
    Napi::Object res = Napi::Object::New(env);
    constexpr auto kData = napi_default_jsproperty;
    res.DefineProperties({
        Napi::PropertyDescriptor::Value("loss", Napi::Number::New(env, r.loss), kData),
        Napi::PropertyDescriptor::Value("policyLoss", Napi::Number::New(env, r.policy), kData),
        Napi::PropertyDescriptor::Value("entropy", Napi::Number::New(env, r.entropy), kData),
        Napi::PropertyDescriptor::Value("kl", Napi::Number::New(env, r.kl), kData),
        Napi::PropertyDescriptor::Value("clippedFraction", Napi::Number::New(env, r.clipped_fraction), kData),
        Napi::PropertyDescriptor::Value("liveRows", Napi::Number::New(env, static_cast<double>(r.live_rows)), kData),
        Napi::PropertyDescriptor::Value("gradLogits", out, kData),
    });
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
    Input<float> logits = input_array<float>(env, info[0], "logits", n);
    Napi::Value out_value = info[1].IsUndefined() ? Napi::Value(new_array<float>(env, n, "out")) : info[1];
    auto out = typed_array<float>(env, out_value, "out", n);
    logits.separate_from(out.data, static_cast<size_t>(n) * sizeof(float));
    learn::log_softmax(logits.data(), rows, A, out.data);
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
