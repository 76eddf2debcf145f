// ONNX Runtime: loading the library, inspecting models, making policies.
#include <napi.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "onnx/onnx.hpp"
#include "policy_wrap.hpp"

namespace dilemma::addon {

namespace {

Napi::Object status_object(Napi::Env env, const onnx::RuntimeStatus& s) {
  Napi::Object o = Napi::Object::New(env);
  put(o, "available", Napi::Boolean::New(env, s.available));
  put(o, "compiled", Napi::Boolean::New(env, s.compiled));
  if (!s.available) put(o, "reason", Napi::String::New(env, s.reason));
  if (!s.library.empty()) put(o, "library", Napi::String::New(env, s.library));
  if (!s.version.empty()) put(o, "runtimeVersion", Napi::String::New(env, s.version));
  if (s.api_version) put(o, "apiVersion", Napi::Number::New(env, s.api_version));
  return o;
}

// Native memory of a session beyond its weights (runtime state, arenas,
// kernels): between 0.1 and 1.4 MB for the package's small models, by the
// resident size of 1,200 undisposed sessions.
constexpr int64_t kSessionOverheadBytes = int64_t{1} << 20;

int64_t weight_bytes(const onnx::SessionOptions& so) {
  int64_t n = 0;
  for (const auto& w : so.weights) n += static_cast<int64_t>(w.data.size() * sizeof(float));
  return n;
}

struct Opened {
  std::shared_ptr<onnx::Session> session;
  int64_t bytes;  // an estimate of the native memory it holds, for V8
};

// options.weights: [[name, shape, Float32Array], ...], the float32
// initializers the session computes from engine-owned copies of.
std::vector<onnx::WeightSpec> weight_specs(Napi::Env env, const Napi::Value& v) {
  const std::vector<Napi::Value> list =
      array_elements(env, v, "options.weights", 1 << 20, "an array of [name, shape, Float32Array] triples");
  std::vector<onnx::WeightSpec> out;
  out.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = "options.weights[" + std::to_string(i) + "]";
    const std::vector<Napi::Value> triple = array_elements(env, list[i], at, 3, "a [name, shape, Float32Array] triple");
    if (triple.size() != 3) throw_error(env, codes::kInvalidArgument, at + " must be a [name, shape, Float32Array] triple");
    onnx::WeightSpec w;
    w.name = string(env, triple[0], at + "[0]");
    const std::vector<Napi::Value> dims = array_elements(env, triple[1], at + "[1]", 64, "an array of dimensions");
    int64_t count = 1;
    for (size_t k = 0; k < dims.size(); ++k) {
      w.shape.push_back(integer(env, dims[k], at + "[1][" + std::to_string(k) + "]", 0, int64_t{1} << 31));
      if (__builtin_mul_overflow(count, w.shape.back(), &count) || count > (int64_t{1} << 31))
        throw_error(env, codes::kTooLarge, at + " has more than 2^31 elements");
    }
    auto data = input_array<float>(env, triple[2], at + "[2]", count);
    w.data.assign(data.data(), data.data() + data.size());
    out.push_back(std::move(w));
  }
  return out;
}

// A model given as a path (string) or as bytes (Uint8Array, copied).
Opened session_from(Napi::Env env, const Napi::Value& source, const Options* options) {
  onnx::SessionOptions so;
  if (options) {
    so.intra_op_threads = static_cast<int>(options->integer_or("intraOpThreads", 1, 0, 256));
    so.graph_optimization = static_cast<int>(options->integer_or("graphOptimization", 3, 0, 3));
    if (options->has("weights")) so.weights = weight_specs(env, options->get("weights"));
  }
  if (source.IsString()) {
    const std::string path = string(env, source, "model");
    if (path.empty()) throw_error(env, codes::kInvalidArgument, "model path is empty");
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    auto session = onnx::open_session(path, so);
    return {std::move(session), kSessionOverheadBytes + weight_bytes(so) + (ec ? 0 : static_cast<int64_t>(size))};
  }
  auto bytes = typed_array<uint8_t>(env, source, "model", -1);
  if (bytes.length > static_cast<size_t>(limits::kMaxModelBytes)) throw_error(env, codes::kTooLarge, "model is larger than 2 GiB");
  std::vector<uint8_t> copy(bytes.data, bytes.data + bytes.length);
  auto session = onnx::open_session(copy, so);
  return {std::move(session), kSessionOverheadBytes + weight_bytes(so) + static_cast<int64_t>(copy.size())};
}

const char* const kSessionKeys[] = {"intraOpThreads", "graphOptimization", "weights"};

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
    std::optional<Options> o;
    if (!info[1].IsUndefined()) o.emplace(env, info[1], "options", std::initializer_list<const char*>{kSessionKeys[0], kSessionKeys[1], kSessionKeys[2]});
    const Opened opened = session_from(env, info[0], o ? &*o : nullptr);
    Napi::Object out = Napi::Object::New(env);
    put(out, "inputs", tensors(env, onnx::session_inputs(*opened.session)));
    put(out, "outputs", tensors(env, onnx::session_outputs(*opened.session)));
    return out;
  });
}

// onnxPolicy(model, { obsInput?, logitsOutput?, state?: [[in, out], ...], label?, intraOpThreads?, graphOptimization? })
Napi::Value OnnxPolicy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    onnx::PolicyOptions po;
    std::string label = "onnx";
    std::optional<Options> o;
    if (!info[1].IsUndefined()) {
      o.emplace(env, info[1], "options",
                std::initializer_list<const char*>{"obsInput", "logitsOutput", "label", "state", kSessionKeys[0],
                                                   kSessionKeys[1], kSessionKeys[2]});
      if (o->has("obsInput")) po.obs_input = string(env, o->get("obsInput"), "options.obsInput");
      if (o->has("logitsOutput")) po.logits_output = string(env, o->get("logitsOutput"), "options.logitsOutput");
      if (o->has("label")) label = string(env, o->get("label"), "options.label");
      if (o->has("state")) {
        const std::vector<Napi::Value> pairs =
            array_elements(env, o->get("state"), "options.state", 64, "an array of [input, output] pairs");
        for (size_t i = 0; i < pairs.size(); ++i) {
          const std::string name = "options.state[" + std::to_string(i) + "]";
          const std::vector<Napi::Value> pair =
              array_elements(env, pairs[i], name, 2, "an [input, output] pair of names");
          if (pair.size() != 2) throw_error(env, codes::kInvalidArgument, name + " must be an [input, output] pair of names");
          po.state.emplace_back(string(env, pair[0], name + "[0]"), string(env, pair[1], name + "[1]"));
        }
        po.discover_state = false;
      }
    }
    const Opened opened = session_from(env, info[0], o ? &*o : nullptr);
    return PolicyWrap::Wrap(env, onnx::make_policy(opened.session, po, label), opened.bytes);
  });
}

}  // namespace dilemma::addon

namespace dilemma::addon {

Napi::Array onnx_weights(Napi::Env env, const Policy& policy) {
  auto session = onnx::policy_session(policy);
  return tensors(env, session ? onnx::session_weights(*session) : std::vector<onnx::TensorInfo>{});
}

// Writes every tensor only after all were checked, so a refused call changes
// nothing. The policy must be held by its handle alone: a rollout, env or
// tournament holding it too may be computing from these buffers right now.
void onnx_set_weights(Napi::Env env, const std::shared_ptr<const Policy>& policy, const Napi::Value& names_v,
                      const Napi::Value& arrays_v) {
  auto session = onnx::policy_session(*policy);
  if (!session || onnx::session_weights(*session).empty())
    throw_error(env, codes::kUnsupported,
                "policy '" + policy->name() + "' has no settable weights; load it with onnx(model, { trainable: true })");
  const auto& infos = onnx::session_weights(*session);
  const std::vector<Napi::Value> names = array_elements(env, names_v, "names", 1 << 20, "an array of weight names");
  const std::vector<Napi::Value> arrays = array_elements(env, arrays_v, "weights", 1 << 20, "an array of Float32Arrays");
  if (names.size() != arrays.size()) throw_error(env, codes::kInvalidArgument, "names and weights differ in length");
  std::vector<std::pair<size_t, Input<float>>> writes;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string name = string(env, names[i], "names[" + std::to_string(i) + "]");
    size_t k = 0;
    while (k < infos.size() && infos[k].name != name) ++k;
    if (k == infos.size()) throw_error(env, codes::kInvalidArgument, "weights['" + name + "']: the model has no such weight");
    int64_t count = 1;
    for (int64_t d : infos[k].shape) count *= d;
    // Finite, checked here rather than by the next rollout, whose error could not say which weight it was.
    writes.emplace_back(k, finite_input(env, arrays[i], "weights['" + name + "']", count));
  }
  if (policy.use_count() > 1)
    throw_error(env, "ERR_BUSY",
                "policy '" + policy->name() + "' is in use by a rollout, env or tournament; set its weights after it settles");
  for (const auto& [k, data] : writes)
    std::copy(data.data(), data.data() + data.size(), onnx::session_weight_data(*session, k));
}

}  // namespace dilemma::addon
