// new Trainer(game, config): the native training loop, one iteration per
// iterate() call off the event loop; state()/restore() for checkpoints.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "game_wrap.hpp"
#include "gpu_trainer.hpp"
#include "learn/model_kinds.hpp"
#include "learn/model_policy.hpp"
#include "learn/trainer.hpp"
#include "learn/trainer_config.hpp"
#include "limits.hpp"
#include "param_specs.hpp"
#include "policy_wrap.hpp"
#include "promise_worker.hpp"
#include "typed_out.hpp"

namespace dilemma::addon {

namespace {

std::shared_ptr<const learn::Model> model_from(Napi::Env env, const Napi::Value& v, const std::string& name,
                                               const GameInfo& g, int actions) {
  const Options o(env, v, name, {"kind", "params"});
  const std::string kind = string(env, o.get("kind"), name + ".kind");
  return learn::make_model(kind, g.obs_dim, actions, params(env, o.get("params"), name + ".params"));
}

// The config's scalar settings as Params (booleans as 0 and 1), for
// learn::trainer_config_from, which reads every one through its spec. Each
// setting is read by name (getters run once, inherited ones included); any
// other enumerable key that is not the caller's (skip) is passed on for
// reject_unknown. A BigInt seed, which no double holds, goes to *big_seed.
Params setting_params(Napi::Env env, const Napi::Value& v, std::initializer_list<const char*> skip,
                      std::optional<uint64_t>* big_seed) {
  Napi::Object o = object_arg(env, v, "config");
  std::map<std::string, ParamValue> values;
  const auto put = [&](const std::string& key, const Napi::Value& x) {
    if (x.IsUndefined()) return;
    if (x.IsNumber()) values[key] = x.As<Napi::Number>().DoubleValue();
    else if (x.IsBoolean()) values[key] = x.As<Napi::Boolean>().Value() ? 1.0 : 0.0;
    else if (x.IsString()) values[key] = string(env, x, "config." + key);
    else if (key == "seed" && x.IsBigInt() && big_seed) *big_seed = seed(env, x, "config.seed");
    else throw_error(env, codes::kInvalidParam, "config." + key + " must be a number, a boolean or a string");
  };
  for (const ParamSpec& s : learn::trainer_param_specs()) put(s.name, o.Get(s.name));
  Napi::Array keys = o.GetPropertyNames();
  if (keys.Length() > limits::kMaxParamKeys) throw_error(env, codes::kInvalidParam, "config has too many keys");
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    const bool caller = std::any_of(skip.begin(), skip.end(), [&](const char* k) { return key == k; });
    const auto& specs = learn::trainer_param_specs();
    const bool known = std::any_of(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.name == key; });
    if (!caller && !known) values[key] = 0.0;  // reject_unknown names it
  }
  return Params("config", std::move(values));
}

learn::TrainerConfig parse_config(Napi::Env env, const std::shared_ptr<const Game>& game, const Napi::Value& v) {
  std::optional<uint64_t> big_seed;
  const Params settings = setting_params(env, v, {"policy", "critic"}, &big_seed);
  learn::TrainerConfig c = learn::trainer_config_from(settings);
  settings.reject_unknown();
  if (big_seed) c.seed = *big_seed;
  const Napi::Object o = v.As<Napi::Object>();
  const GameInfo& g = game->info();
  c.game = game;
  c.model = model_from(env, o.Get("policy"), "config.policy", g, g.actions);
  if (c.baseline == learn::Baseline::kCritic) {
    if (o.Get("critic").IsUndefined())
      throw_error(env, codes::kInvalidArgument, "config.critic is required with baseline 'critic'");
    c.critic = model_from(env, o.Get("critic"), "config.critic", g, 1);
  }
  return c;
}

// The specs of the trainer's settings and of each model kind's parameters.
Napi::Object param_specs(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("config", spec_list(env, learn::trainer_param_specs()));
  const std::vector<std::string> kinds = learn::model_kind_names();
  Napi::Array models = Napi::Array::New(env, kinds.size());
  for (uint32_t i = 0; i < kinds.size(); ++i) {
    Napi::Object m = Napi::Object::New(env);
    m.Set("kind", kinds[i]);
    m.Set("params", spec_list(env, learn::model_param_specs(kinds[i])));
    models.Set(i, m);
  }
  o.Set("models", models);
  return o;
}

Napi::Float32Array floats(Napi::Env env, const std::vector<float>& v) {
  auto a = new_array<float>(env, static_cast<int64_t>(v.size()));
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

std::vector<float> read_floats(Napi::Env env, const Options& o, const char* key) {
  if (!o.has(key)) return {};
  auto v = typed_array<float>(env, o.get(key), o.member(key), -1);
  return std::vector<float>(v.data, v.data + v.length);
}

// Native memory a trainer holds between iterations (parameters, Adam's
// moments, the opponent buffer), reported to V8 so that its garbage collector
// counts it. Shared with the iteration worker, which updates it as the buffer
// grows; released once by dispose() or finalization.
struct ExternalMemory {
  int64_t bytes = 0;
  bool live = true;
  void set(Napi::Env env, int64_t n) {
    if (!live) return;
    adjust_external_memory(env, n - bytes);
    bytes = n;
  }
  void release(Napi::Env env) {
    set(env, 0);
    live = false;
  }
};

int64_t footprint(const learn::TrainerConfig& c, int64_t buffered) {
  const int64_t p = c.model->num_params(), q = c.critic ? c.critic->num_params() : 0;
  return static_cast<int64_t>(sizeof(float)) * (3 * p + 3 * q + buffered * p);
}

// A training iteration's metrics as one Float64Array, which the TypeScript
// handle turns into its IterationMetrics object (src/train/metrics.ts,
// metricsFromValues): one allocation here, where an object built property
// by property through N-API cost more than a small iteration itself.
// Layout: iteration, bufferOpponent (0 or 1), bufferSize, entropy,
// policyLoss, kl, clippedFraction, gradNorm, criticLoss, creditAbsMean, then
// A and A mean returns, A action-0 rates, then G and G game statistics.
Napi::Value metrics_values(Napi::Env env, const learn::IterationMetrics& m) {
  const size_t A = m.mean_return.size(), G = m.game_stats.size();
  auto out = new_array<double>(env, static_cast<int64_t>(12 + 2 * A + G), "the iteration's metrics");
  double* v = out.Data();
  *v++ = static_cast<double>(m.iteration);
  *v++ = m.buffer_opponent ? 1.0 : 0.0;
  *v++ = static_cast<double>(m.buffer_size);
  for (double x : {m.entropy, m.policy_loss, m.kl, m.clipped_fraction, m.grad_norm, m.critic_loss, m.credit_abs_mean})
    *v++ = x;
  *v++ = static_cast<double>(A);
  for (size_t i = 0; i < A; ++i) *v++ = m.mean_return[i];
  for (size_t i = 0; i < A; ++i) *v++ = m.action0_rate[i];
  *v++ = static_cast<double>(G);
  for (double x : m.game_stats) *v++ = x;
  return out;
}

// Iterations this small run before the call returns: handing them to a
// worker thread and back (two thread wake-ups, tens of microseconds of
// kernel time on a virtual machine) costs a good part of their own time,
// and they hold the event loop for well under a millisecond (the fused
// matrix path runs 2^17 agent-steps in about 0.5-0.7 ms on one core).
// Trainer.step turns the event loop between them at least every millisecond.
constexpr int64_t kInlineAgentSteps = int64_t{1} << 17;

bool runs_inline(const learn::Trainer& t, const gpu::DeviceTrainer* device) {
  const learn::TrainerConfig& c = t.config();
  if (device != nullptr) return false;
  return t.fused_applies() && c.batch * t.steps() * c.game->info().agents <= kInlineAgentSteps;
}

class IterateWorker : public PromiseWorker {
 public:
  IterateWorker(Napi::Env env, std::shared_ptr<learn::Trainer> trainer, std::shared_ptr<gpu::DeviceTrainer> device,
                std::shared_ptr<std::atomic<bool>> busy, std::shared_ptr<ExternalMemory> external)
      : PromiseWorker(env, "dilemma.train"), trainer_(std::move(trainer)), device_(std::move(device)),
        busy_(std::move(busy)), external_(std::move(external)) {}

 protected:
  void Run() override { metrics_ = device_ ? gpu::device_iterate(*device_, *trainer_) : trainer_->iterate(); }
  void Finish() override { busy_->store(false); }
  Napi::Value Result(Napi::Env env) override {
    external_->set(env, footprint(trainer_->config(), metrics_.buffer_size));
    return metrics_values(env, metrics_);
  }

 private:
  std::shared_ptr<learn::Trainer> trainer_;
  std::shared_ptr<gpu::DeviceTrainer> device_;  // null: the CPU iterates
  std::shared_ptr<std::atomic<bool>> busy_;
  std::shared_ptr<ExternalMemory> external_;
  learn::IterationMetrics metrics_;
};

// fitActions: one behaviour-cloning step on copied arrays, off the event loop.
class FitWorker : public PromiseWorker {
 public:
  struct Data {
    std::vector<float> obs;
    std::vector<int32_t> actions;
    std::vector<uint8_t> mask;  // empty: every row counts
    int64_t sequences = 0, steps = 0;
  };
  FitWorker(Napi::Env env, std::shared_ptr<learn::Trainer> trainer, std::shared_ptr<std::atomic<bool>> busy, Data data)
      : PromiseWorker(env, "dilemma.fitActions"), trainer_(std::move(trainer)), busy_(std::move(busy)),
        data_(std::move(data)) {}

 protected:
  void Run() override {
    fit_ = trainer_->fit_actions(data_.obs.data(), data_.actions.data(), data_.mask.empty() ? nullptr : data_.mask.data(),
                                 data_.sequences, data_.steps);
  }
  void Finish() override { busy_->store(false); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    put(o, "loss", Napi::Number::New(env, fit_.loss));
    put(o, "gradNorm", Napi::Number::New(env, fit_.grad_norm));
    put(o, "liveRows", Napi::Number::New(env, static_cast<double>(fit_.live_rows)));
    return o;
  }

 private:
  std::shared_ptr<learn::Trainer> trainer_;
  std::shared_ptr<std::atomic<bool>> busy_;
  Data data_;
  learn::FitMetrics fit_;
};

}  // namespace

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static constexpr napi_type_tag kTypeTag{0x64696c656d6d612eULL, 0x547261696e657204ULL};
  static constexpr const char* kClassName = "Trainer";

  static Napi::Function Define(Napi::Env env) {
    return with_methods(DefineClass(env, "Trainer",
                                    {StaticMethod<&TrainerWrap::ParamSpecs>("paramSpecs"),
                                     StaticMethod<&TrainerWrap::CheckConfig>("checkConfig")}),
                        {method<TrainerWrap, &TrainerWrap::Iterate>(env, "iterate"),
                         method<TrainerWrap, &TrainerWrap::Iteration>(env, "iteration"),
                         method<TrainerWrap, &TrainerWrap::FitActions>(env, "fitActions"),
                         method<TrainerWrap, &TrainerWrap::State>(env, "state"),
                         method<TrainerWrap, &TrainerWrap::Restore>(env, "restore"),
                         method<TrainerWrap, &TrainerWrap::Policy>(env, "policy"),
                         method<TrainerWrap, &TrainerWrap::Info>(env, "info"),
                         method<TrainerWrap, &TrainerWrap::Dispose>(env, "dispose")});
  }

  static Napi::Value OnCalledAsFunction(const Napi::CallbackInfo& info) { called_as_function(info, kClassName); }

  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    Napi::Env env = info.Env();
    guard(env, [&] {
      auto game = unwrap<GameWrap>(env, info[0], "game", "Game")->game(env);
      trainer_ = std::make_shared<learn::Trainer>(parse_config(env, game, info[1]));
      // info[2]: the backend the TypeScript side resolved from config.gpu.
      device_ = gpu::attach_trainer(gpu::want_of(env, info[2], "gpu"), *trainer_);
    });
    external_->set(env, footprint(trainer_->config(), 0));
    tag_instance<TrainerWrap>(info);
  }

  void Finalize(Napi::Env env) override { external_->release(env); }

  // Trainer.paramSpecs() -> { config: ParamSpec[], models: { kind, params: ParamSpec[] }[] }
  static Napi::Value ParamSpecs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value { return param_specs(env); });
  }

  // Trainer.checkConfig(config): the core's reading of the scalar settings
  // (ranges and the rules between them) without a game or a model; throws
  // its coded error. Other keys (game, policy, critic, gpu) are the caller's.
  static Napi::Value CheckConfig(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      learn::trainer_config_from(setting_params(env, info[0], {"game", "policy", "critic", "gpu"}, nullptr));
      return env.Undefined();
    });
  }

 private:
  learn::Trainer& trainer(Napi::Env env, bool idle = true, bool pull = true) {
    if (!trainer_) throw_error(env, codes::kDisposed, "the trainer was disposed");
    if (idle && busy_->load())
      throw_error(env, "ERR_BUSY", "the trainer is running an iteration; wait for its promise first");
    // What the device trained, before anything reads or changes the CPU copy.
    if (idle && pull && device_) gpu::device_pull(*device_, *trainer_);
    return *trainer_;
  }

  Napi::Value Iterate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      trainer(env, true, false);  // the device iterates on its own copy
      if (runs_inline(*trainer_, device_.get())) {
        learn::IterationMetrics m;
        return settled_now(
            env, [&] { m = trainer_->iterate(); },
            [&] {
              external_->set(env, footprint(trainer_->config(), m.buffer_size));
              return metrics_values(env, m);
            });
      }
      busy_->store(true);
      auto* worker = new IterateWorker(env, trainer_, device_, busy_, external_);
      Napi::Promise p = worker->Promise();
      worker->Queue();
      return p;
    });
  }

  // iteration() -> iterations done, without copying the state to JavaScript
  // (on the CPU nothing is copied; a device trainer's count comes with its
  // state, pulled once after each iteration as state() pulls it).
  Napi::Value Iteration(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value { return Napi::Number::New(env, static_cast<double>(trainer(env).iteration())); });
  }

  // fitActions({ observations, actions, mask?, sequences, steps }) -> Promise<{ loss, gradNorm, liveRows }>
  Napi::Value FitActions(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      // Every member is read (getters run) before the trainer is looked at:
      // a getter may dispose it or start an iteration on it.
      const Options o(env, info[0], "data", {"observations", "actions", "mask", "sequences", "steps"});
      learn::Trainer& t = trainer(env);
      FitWorker::Data d;
      d.sequences = integer(env, o.get("sequences"), "data.sequences", 1, int64_t{1} << 30);
      d.steps = integer(env, o.get("steps"), "data.steps", 1, limits::kMaxTrainSteps);
      const int64_t rows = d.sequences * d.steps, O = t.config().model->obs_dim();
      if (rows > limits::kMaxElements || rows * O > limits::kMaxElements)
        throw_error(env, codes::kTooLarge, "data: sequences x steps x obsDim exceeds 2^31 - 1 elements");
      // Copied here: the step runs off-thread on arrays no caller can change.
      // Finite: a tabular model would read a NaN feature as 0 and fit silently.
      auto obs = finite_input(env, o.get("observations"), "data.observations", rows * O);
      auto actions = input_array<int32_t>(env, o.get("actions"), "data.actions", rows);
      d.obs.assign(obs.data(), obs.data() + obs.size());
      d.actions.assign(actions.data(), actions.data() + actions.size());
      if (o.has("mask")) {
        auto mask = input_array<uint8_t>(env, o.get("mask"), "data.mask", rows);
        d.mask.assign(mask.data(), mask.data() + mask.size());
      }
      if (device_) gpu::device_invalidate(*device_);
      busy_->store(true);
      auto* worker = new FitWorker(env, trainer_, busy_, std::move(d));
      Napi::Promise p = worker->Promise();
      worker->Queue();
      return p;
    });
  }

  Napi::Value State(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      const learn::TrainerState s = trainer(env).state();
      Napi::Object o = Napi::Object::New(env);
      o.Set("iteration", static_cast<double>(s.iteration));
      o.Set("params", floats(env, s.params));
      o.Set("adamM", floats(env, s.adam_m));
      o.Set("adamV", floats(env, s.adam_v));
      o.Set("adamT", static_cast<double>(s.adam_t));
      o.Set("criticParams", floats(env, s.critic_params));
      o.Set("criticM", floats(env, s.critic_m));
      o.Set("criticV", floats(env, s.critic_v));
      o.Set("criticT", static_cast<double>(s.critic_t));
      Napi::Array buffer = Napi::Array::New(env, s.buffer.size());
      for (uint32_t i = 0; i < s.buffer.size(); ++i) buffer.Set(i, floats(env, s.buffer[i]));
      o.Set("buffer", buffer);
      return o;
    });
  }

  Napi::Value Restore(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      const Options o(env, info[0], "state",
                      {"iteration", "params", "adamM", "adamV", "adamT", "criticParams", "criticM", "criticV",
                       "criticT", "buffer"});
      // The buffer's entries too are read (traps run) before any array is copied.
      std::vector<Napi::Value> entries;
      // At most bufferSize's largest value; the trainer checks its own bufferSize.
      const auto most = static_cast<uint32_t>(spec_of(learn::trainer_param_specs(), "bufferSize").hi);
      if (o.has("buffer")) entries = array_elements(env, o.get("buffer"), "state.buffer", most, "an array");
      // Only now, with no caller code left to run: a getter may have disposed
      // the trainer or started an iteration on it.
      learn::Trainer& t = trainer(env);
      learn::TrainerState s;
      s.iteration = integer(env, o.get("iteration"), "state.iteration", 0, int64_t{1} << 50);
      s.params = read_floats(env, o, "params");
      s.adam_m = read_floats(env, o, "adamM");
      s.adam_v = read_floats(env, o, "adamV");
      s.adam_t = integer(env, o.get("adamT"), "state.adamT", 0, int64_t{1} << 50);
      s.critic_params = read_floats(env, o, "criticParams");
      s.critic_m = read_floats(env, o, "criticM");
      s.critic_v = read_floats(env, o, "criticV");
      s.critic_t = o.integer_or("criticT", 0, 0, int64_t{1} << 50);
      for (size_t i = 0; i < entries.size(); ++i) {
        auto v = typed_array<float>(env, entries[i], "state.buffer[" + std::to_string(i) + "]", -1);
        s.buffer.emplace_back(v.data, v.data + v.length);
      }
      t.restore(s);
      if (device_) gpu::device_invalidate(*device_);
      external_->set(env, footprint(t.config(), static_cast<int64_t>(s.buffer.size())));
      return env.Undefined();
    });
  }

  Napi::Value Policy(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      learn::Trainer& t = trainer(env);
      const std::string label = info[0].IsUndefined() ? "trained" : string(env, info[0], "label");
      auto params = t.params_snapshot();
      const int64_t bytes = static_cast<int64_t>(params ? params->size() * sizeof(float) : 0);
      return PolicyWrap::Wrap(env, learn::make_model_policy(t.config().model, std::move(params), label), bytes);
    });
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      const learn::TrainerConfig& c = trainer(env, false).config();
      Napi::Object o = Napi::Object::New(env);
      o.Set("numParams", static_cast<double>(c.model->num_params()));
      o.Set("stateSize", static_cast<double>(c.model->state_size()));
      o.Set("kind", c.model->kind());
      o.Set("device", device_ ? "cuda" : "cpu");
      o.Set("statNames", string_array(env, c.game->stat_names()));
      return o;
    });
  }

  void Dispose(const Napi::CallbackInfo& info) {
    trainer_.reset();
    device_.reset();
    external_->release(info.Env());
  }

  std::shared_ptr<learn::Trainer> trainer_;
  std::shared_ptr<gpu::DeviceTrainer> device_;  // set when iterations run on the CUDA device
  std::shared_ptr<std::atomic<bool>> busy_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<ExternalMemory> external_ = std::make_shared<ExternalMemory>();
};

Napi::Function DefineTrainer(Napi::Env env) { return TrainerWrap::Define(env); }

// modelPolicy(kind, obsDim, actions, modelParams, params: Float32Array, label?) -> Policy
Napi::Value ModelPolicy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const std::string kind = string(env, info[0], "kind");
    const int obs_dim = static_cast<int>(integer(env, info[1], "obsDim", 1, 1 << 20));
    const int actions = static_cast<int>(integer(env, info[2], "actions", 1, 1 << 20));
    auto model = learn::make_model(kind, obs_dim, actions, params(env, info[3], "modelParams"));
    // Copied, then checked: the copy is what the policy uses.
    auto p = typed_array<float>(env, info[4], "params", model->num_params());
    auto flat = std::make_shared<const std::vector<float>>(p.data, p.data + p.length);
    for (size_t i = 0; i < flat->size(); ++i)
      if (!std::isfinite((*flat)[i])) throw_error(env, codes::kInvalidArgument, "params[" + std::to_string(i) + "] is not finite");
    const std::string label = info[5].IsUndefined() ? kind : string(env, info[5], "label");
    const int64_t bytes = static_cast<int64_t>(flat->size() * sizeof(float));
    return PolicyWrap::Wrap(env, learn::make_model_policy(model, flat, label), bytes);
  });
}

}  // namespace dilemma::addon
