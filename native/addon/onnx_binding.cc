// ONNX Runtime: loading the library, inspecting models, making policies.
#include <napi.h>

#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "onnx/onnx.hpp"
#include "policy_wrap.hpp"

namespace dilemma::addon {

namespace {

Napi::Object status_object(Napi::Env env, const onnx::RuntimeStatus& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", s.available);
  o.Set("compiled", s.compiled);
  if (!s.available) o.Set("reason", s.reason);
  if (!s.library.empty()) o.Set("library", s.library);
  if (!s.version.empty()) o.Set("runtimeVersion", s.version);
  if (s.api_version) o.Set("apiVersion", s.api_version);
  return o;
}

// A model given as a path (string) or as bytes (Uint8Array, copied).
std::shared_ptr<onnx::Session> session_from(Napi::Env env, const Napi::Value& source, const Napi::Value& options) {
  onnx::SessionOptions so;
  if (!options.IsUndefined()) {
    Napi::Object o = object_arg(env, options, "options");
    so.intra_op_threads = static_cast<int>(integer_or(env, o, "intraOpThreads", "options", 1, 0, 256));
    so.graph_optimization = static_cast<int>(integer_or(env, o, "graphOptimization", "options", 3, 0, 3));
  }
  if (source.IsString()) {
    const std::string path = string(env, source, "model");
    if (path.empty()) throw_error(env, codes::kInvalidArgument, "model path is empty");
    return onnx::open_session(path, so);
  }
  auto bytes = typed_array<uint8_t>(env, source, "model", -1);
  if (bytes.length > (size_t{1} << 31)) throw_error(env, codes::kTooLarge, "model is larger than 2 GiB");
  std::vector<uint8_t> copy(bytes.data, bytes.data + bytes.length);
  return onnx::open_session(copy, so);
}

Napi::Array tensors(Napi::Env env, const std::vector<onnx::TensorInfo>& list) {
  Napi::Array a = Napi::Array::New(env, list.size());
  for (uint32_t i = 0; i < list.size(); ++i) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("name", list[i].name);
    t.Set("type", list[i].type);
    Napi::Array shape = Napi::Array::New(env, list[i].shape.size());
    for (uint32_t k = 0; k < list[i].shape.size(); ++k) shape.Set(k, static_cast<double>(list[i].shape[k]));
    t.Set("shape", shape);
    a.Set(i, t);
  }
  return a;
}

}  // namespace

Napi::Value OrtLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] { return status_object(env, onnx::load_runtime(string(env, info[0], "library"))); });
}

Napi::Value OrtStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] { return status_object(env, onnx::runtime_status()); });
}

Napi::Value OnnxInspect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    auto session = session_from(env, info[0], info[1]);
    Napi::Object o = Napi::Object::New(env);
    o.Set("inputs", tensors(env, onnx::session_inputs(*session)));
    o.Set("outputs", tensors(env, onnx::session_outputs(*session)));
    return o;
  });
}

// onnxPolicy(model, { obsInput?, logitsOutput?, state?: [[in, out], ...], label?, intraOpThreads?, graphOptimization? })
Napi::Value OnnxPolicy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    onnx::PolicyOptions po;
    std::string label = "onnx";
    if (!info[1].IsUndefined()) {
      Napi::Object o = object_arg(env, info[1], "options");
      if (has(o, "obsInput")) po.obs_input = string(env, o.Get("obsInput"), "options.obsInput");
      if (has(o, "logitsOutput")) po.logits_output = string(env, o.Get("logitsOutput"), "options.logitsOutput");
      if (has(o, "label")) label = string(env, o.Get("label"), "options.label");
      if (has(o, "state")) {
        if (!o.Get("state").IsArray()) throw_error(env, codes::kInvalidArgument, "options.state must be an array of [input, output] pairs");
        Napi::Array pairs = o.Get("state").As<Napi::Array>();
        if (pairs.Length() > 64) throw_error(env, codes::kInvalidArgument, "options.state has too many pairs");
        for (uint32_t i = 0; i < pairs.Length(); ++i) {
          const std::string name = "options.state[" + std::to_string(i) + "]";
          Napi::Value p = pairs.Get(i);
          if (!p.IsArray() || p.As<Napi::Array>().Length() != 2)
            throw_error(env, codes::kInvalidArgument, name + " must be an [input, output] pair of names");
          Napi::Array pair = p.As<Napi::Array>();
          po.state.emplace_back(string(env, pair.Get(0u), name + "[0]"), string(env, pair.Get(1u), name + "[1]"));
        }
        po.discover_state = false;
      }
    }
    auto session = session_from(env, info[0], info[1]);
    return PolicyWrap::Wrap(env, onnx::make_policy(session, po, label));
  });
}

}  // namespace dilemma::addon
