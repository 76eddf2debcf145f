// new RolloutPlan(game, policies, options, result, arrays): one rollout
// configuration checked and resolved once (game, policies, options, where it
// runs, the trajectory arrays it writes into), run many times with only a
// seed per call. rollout() pays for reading and checking an options object,
// out's eight arrays and a fresh result on every call; at small batches that
// costs more than the rollout itself.
//   run(seed) -> Promise<result>: on the calling thread when the rollout is
//     small and scripted (as rollout() decides), else on a worker.
//   runSync(seed) -> undefined: on the calling thread, whatever its size.
//   dispose(): later calls throw ERR_DISPOSED; a run in flight finishes.
#include <napi.h>

#include "addon_data.hpp"
#include "args.hpp"
#include "errors.hpp"
#include "exports.hpp"
#include "game_wrap.hpp"
#include "gpu_entries.hpp"
#include "policy_wrap.hpp"
#include "promise_worker.hpp"
#include "rollout.hpp"
#include "rollout_args.hpp"
#include "trajectory_buffers.hpp"

namespace dilemma::addon {

namespace {

// Everything a run needs, shared with a run in flight so that dispose()
// frees nothing it uses.
struct PlanState {
  RolloutCall call;
  BufferLease hold{false};  // the engine-owned arrays' memory, for the plan's life
  bool inline_run = false;
  bool running = false;  // a run off the event loop is in flight (main thread only)
};

class PlanWorker : public PromiseWorker {
 public:
  PlanWorker(Napi::Env env, std::shared_ptr<PlanState> state, Napi::Object result)
      : PromiseWorker(env, "dilemma.rolloutPlan"), state_(std::move(state)), result_(Napi::Persistent(result)) {}

 protected:
  void Run() override { state_->call.run(); }
  void Finish() override {
    state_->hold.set_busy(false);
    state_->running = false;
  }
  Napi::Value Result(Napi::Env) override { return result_.Value(); }

 private:
  std::shared_ptr<PlanState> state_;
  Napi::ObjectReference result_;
};

}  // namespace

class RolloutPlanWrap : public Napi::ObjectWrap<RolloutPlanWrap> {
 public:
  static constexpr napi_type_tag kTypeTag{0x64696c656d6d612eULL, 0x506c616e00000006ULL};
  static constexpr const char* kClassName = "RolloutPlan";

  static Napi::Function Define(Napi::Env env) {
    return with_methods(DefineClass(env, kClassName, {}),
                        {method<RolloutPlanWrap, &RolloutPlanWrap::Run>(env, "run"),
                         method<RolloutPlanWrap, &RolloutPlanWrap::RunSync>(env, "runSync"),
                         method<RolloutPlanWrap, &RolloutPlanWrap::Dispose>(env, "dispose"),
                         getter<RolloutPlanWrap, &RolloutPlanWrap::RunsInline>("runsInline")});
  }

  static Napi::Value OnCalledAsFunction(const Napi::CallbackInfo& info) { called_as_function(info, kClassName); }

  explicit RolloutPlanWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RolloutPlanWrap>(info) {
    Napi::Env env = info.Env();
    guard(env, [&] {
      auto s = std::make_shared<PlanState>();
      RolloutCall& call = s->call;
      GameWrap* game = unwrap<GameWrap>(env, info[0], "game", "Game");
      call.game = game->game(env);
      const std::vector<Napi::Value> ps = array_elements(env, info[1], "policies", limits::kMaxPolicies, "an array of policies");
      const Options o(env, info[2], "options", {"batch", "steps", "threads", "temperature", "greedy", "groups", "out", "gpu"});
      Napi::Object result = object_arg(env, info[3], "result");
      Napi::Object arrays = object_arg(env, info[4], "arrays");
      for (size_t i = 0; i < ps.size(); ++i) {
        PolicyWrap* p = unwrap<PolicyWrap>(env, ps[i], "policies[" + std::to_string(i) + "]", "Policy");
        call.policies.push_back(p->policy(env));
        policy_wraps_.push_back(p);
      }
      read_rollout_options(env, o, call.options);
      check_policies(*call.game, call.policies);
      call.gpu = gpu::plan_rollout(gpu::want_of(env, o.get("gpu"), "options.gpu"), *call.game, call.policies);
      s->inline_run = call.runs_inline();
      const Napi::Value out = o.get("out");
      field_prefix_ = out.IsUndefined() ? "trajectory." : "options.out.";
      // Fresh arrays are the engine's own, zeroed (JavaScript may read them
      // before the first run) and held for the plan's life. out's are held
      // when the engine allocated them; a plan that runs off the event loop
      // takes no others (trajectory_arrays refuses them).
      Napi::Value held[kTrajectoryFields];
      call.view = trajectory_arrays(env, *call.game, call.options, out, arrays,
                                    s->inline_run && !out.IsUndefined() ? nullptr : &s->hold, true, held);
      for (int k = 0; k < kTrajectoryFields; ++k) {
        napi_typedarray_type type;
        napi_value buffer;
        size_t offset;
        napi_get_typedarray_info(env, held[k], &type, &lengths_[k], &data_[k], &buffer, &offset);
        if (s->inline_run && !out.IsUndefined()) s->hold.add_if_owned(data_[k], lengths_[k] * element_size(type));
        arrays_[k] = Napi::Persistent(held[k]);
      }
      game_ = Napi::Persistent(info[0].As<Napi::Object>());
      for (const Napi::Value& p : ps) policies_.push_back(Napi::Persistent(p.As<Napi::Object>()));
      game_wrap_ = game;
      result_ = Napi::Persistent(result);
      state_ = std::move(s);
    });
    tag_instance<RolloutPlanWrap>(info);
  }

 private:
  static size_t element_size(napi_typedarray_type type) {
    switch (type) {
      case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
      case napi_int16_array: case napi_uint16_array: return 2;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
      default: return 4;
    }
  }

  // The state, after the checks every run repeats: the plan, its game and
  // policies not disposed, no run in flight, and every array still the
  // memory the plan was made with (a detached or shrunk buffer differs).
  PlanState& ready(Napi::Env env) {
    if (!state_) throw_error(env, codes::kDisposed, "the rollout plan was disposed");
    PlanState& s = *state_;
    if (s.running) throw_error(env, "ERR_BUSY", "the rollout plan is running; wait for its promise first");
    game_wrap_->game(env);
    for (PolicyWrap* p : policy_wraps_) p->policy(env);
    if (s.hold.busy())
      throw_error(env, "ERR_BUSY", "the plan's trajectory arrays are in use by a rollout that has not finished");
    for (int k = 0; k < kTrajectoryFields; ++k) {
      if (lengths_[k] == 0) continue;
      napi_value array = arrays_[k].Value();
      napi_typedarray_type type;
      size_t length = 0;
      void* data = nullptr;
      if (napi_get_typedarray_info(env, array, &type, &length, &data, nullptr, nullptr) != napi_ok ||
          length != lengths_[k] || data != data_[k])
        throw_error(env, codes::kInvalidArgument,
                    field_prefix_ + trajectory_field(k) +
                        " was detached or resized after the rollout plan was made; make a new plan");
    }
    return s;
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      PlanState& s = ready(env);
      s.call.options.seed = seed(env, info[0], "options.seed");
      if (s.inline_run) return settled_now(env, [&] { s.call.run(); }, [&] { return result_.Value(); });
      auto* worker = new PlanWorker(env, state_, result_.Value());
      s.running = true;
      s.hold.set_busy(true);
      Napi::Promise promise = worker->Promise();
      worker->Queue();
      return promise;
    });
  }

  Napi::Value RunSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, [&]() -> Napi::Value {
      PlanState& s = ready(env);
      s.call.options.seed = seed(env, info[0], "options.seed");
      s.call.run();
      return env.Undefined();
    });
  }

  Napi::Value RunsInline(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), state_ && state_->inline_run);
  }

  void Dispose(const Napi::CallbackInfo& info) {
    state_.reset();
    for (auto& a : arrays_) a.Reset();
    for (auto& p : policies_) p.Reset();
    policies_.clear();
    policy_wraps_.clear();
    game_.Reset();
    game_wrap_ = nullptr;
    result_.Reset();
  }

  std::shared_ptr<PlanState> state_;
  // Strong references: the wraps stay alive (and their pointers valid) while
  // the plan checks them before each run.
  Napi::ObjectReference game_;
  GameWrap* game_wrap_ = nullptr;
  std::vector<Napi::ObjectReference> policies_;
  std::vector<PolicyWrap*> policy_wraps_;
  Napi::ObjectReference result_;
  Napi::Reference<Napi::Value> arrays_[kTrajectoryFields];
  void* data_[kTrajectoryFields] = {};
  size_t lengths_[kTrajectoryFields] = {};
  std::string field_prefix_;
};

Napi::Function DefineRolloutPlan(Napi::Env env) { return RolloutPlanWrap::Define(env); }

}  // namespace dilemma::addon
