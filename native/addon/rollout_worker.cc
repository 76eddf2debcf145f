// rollout(game, policies, options) -> Promise<trajectory>. Arguments are
// checked and copied into a plain struct on the main thread; the output
// typed arrays are allocated there too, or taken from options.out (arrays of
// an earlier trajectory, reused), and the core fills them off the event loop
// while the job holds their memory (trajectory_buffers.hpp).
// allocateTrajectory(game, { batch, steps? }) -> zeroed arrays of the same
// shapes, for options.out.
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
#include "typed_out.hpp"

namespace dilemma::addon {

namespace {

struct RolloutJob {
  RolloutCall call;
  BufferLease lease;
};

class RolloutWorker : public PromiseWorker {
 public:
  RolloutWorker(Napi::Env env, RolloutJob job, Napi::Object result)
      : PromiseWorker(env, "dilemma.rollout"), job_(std::move(job)), result_(Napi::Persistent(result)) {}

 protected:
  void Run() override { job_.call.run(); }
  void Finish() override { job_.lease.release(); }
  Napi::Value Result(Napi::Env) override { return result_.Value(); }

 private:
  RolloutJob job_;
  Napi::ObjectReference result_;
};

// The seven trajectory arrays and stats, in this order everywhere below.
struct Field {
  const char* name;
  const char* shape;
};
constexpr Field kFields[] = {
    {"observations", "[batch, steps, agents, obsDim]"}, {"actions", "[batch, steps, agents]"},
    {"logProbs", "[batch, steps, agents]"},             {"entropies", "[batch, steps, agents]"},
    {"rewards", "[batch, steps, agents]"},              {"dones", "[batch, steps]"},
    {"mask", "[batch, steps]"},                         {"stats", "[batch, statNames.length]"},
};


// A fresh result array: V8's own for a rollout that runs before the call
// returns (cheapest for small arrays; V8 aborts on a failed allocation, so
// large ones stay ours), else engine-owned memory the lease holds.
template <typename T>
Napi::TypedArrayOf<T> result_array(Napi::Env env, int64_t length, BufferLease* lease, bool zero) {
  if (lease == nullptr && zero == false && static_cast<size_t>(length) * sizeof(T) < (size_t{1} << 20))
    return Napi::TypedArrayOf<T>::New(env, static_cast<size_t>(length));
  return new_owned_array<T>(env, length, lease, zero);
}

}  // namespace

const char* trajectory_field(int k) { return kFields[k].name; }

void RolloutCall::run() const {
  if (gpu)
    gpu::matrix_rollout(*gpu, options, view);
  else
    rollout(game, policies, options, view);
}

// A cheap scripted rule asks for blocks of environments rather than whole
// batches.
bool RolloutCall::runs_inline() const {
  if (gpu) return false;
  for (const auto& p : policies)
    if (p->preferred_block() <= 0) return false;
  const int64_t steps = rollout_steps(*game, options);
  return options.batch * steps * game->info().agents <= (int64_t{1} << 16);
}

void read_rollout_options(Napi::Env env, const Options& o, RolloutOptions& opt) {
  opt.batch = integer(env, o.get("batch"), "options.batch", 1, limits::kMaxBatch);
  opt.steps = static_cast<int>(o.integer_or("steps", 0, 1, limits::kMaxRolloutSteps));
  opt.threads = static_cast<int>(o.integer_or("threads", 0, 1, limits::kMaxThreads));
  opt.temperature = static_cast<float>(o.number_or("temperature", 1.0, 1e-6, 1e6));
  if (o.has("greedy")) opt.greedy = boolean(env, o.get("greedy"), "options.greedy");
  if (o.has("groups")) {
    auto g = input_array<uint32_t>(env, o.get("groups"), "options.groups", opt.batch);
    opt.groups.assign(g.data(), g.data() + g.size());
  }
}

TrajectoryView trajectory_arrays(Napi::Env env, const Game& game, const RolloutOptions& opt, const Napi::Value& out,
                                 Napi::Object result, BufferLease* lease, bool zero, Napi::Value* arrays_out) {
  const TrajectorySizes n = trajectory_sizes(game, opt);
  const int steps = rollout_steps(game, opt);
  const GameInfo& g = game.info();
  const int n_stats = game.stat_count();
  const int64_t lengths[] = {n.obs, n.per_agent, n.per_agent, n.per_agent, n.per_agent, n.per_step, n.per_step,
                             opt.batch * n_stats};
  const size_t size[] = {4, 4, 4, 4, 4, 1, 1, 4};
  // Every array must fit V8's limit on one ArrayBuffer, checked before any
  // is allocated (or any of out's is looked at).
  for (int k = 0; k < 8; ++k)
    check_result_bytes("options.batch = " + std::to_string(opt.batch) + " with steps = " + std::to_string(steps) +
                           ": " + kFields[k].name + " " + kFields[k].shape,
                       lengths[k], size[k], "use a smaller options.batch or options.steps");
  Napi::Value arrays[8];
  void* data[8];
  if (out.IsUndefined()) {
    // A rollout writes every element (padding included) before the promise
    // resolves, so its fresh arrays need no fill; allocateTrajectory's do.
    arrays[0] = result_array<float>(env, lengths[0], lease, zero);
    arrays[1] = result_array<int32_t>(env, lengths[1], lease, zero);
    for (int k = 2; k < 5; ++k) arrays[k] = result_array<float>(env, lengths[k], lease, zero);
    for (int k = 5; k < 7; ++k) arrays[k] = result_array<uint8_t>(env, lengths[k], lease, zero);
    arrays[7] = result_array<int32_t>(env, lengths[7], lease, zero);
    for (int k = 0; k < 8; ++k) {
      napi_typedarray_type type;
      size_t len, offset;
      napi_value buffer;
      napi_get_typedarray_info(env, arrays[k], &type, &len, &data[k], &buffer, &offset);
    }
  } else {
    // All eight fields are read (getters run) before any view is taken: a
    // getter may detach or shrink another field's array.
    const Options o(env, out, "options.out",
                    {kFields[0].name, kFields[1].name, kFields[2].name, kFields[3].name, kFields[4].name,
                     kFields[5].name, kFields[6].name, kFields[7].name});
    const std::string dims = "batch = " + std::to_string(opt.batch) + ", steps = " + std::to_string(steps) +
                             ", agents = " + std::to_string(g.agents) + ", obsDim = " + std::to_string(g.obs_dim) +
                             ", statNames.length = " + std::to_string(n_stats);
    for (int k = 0; k < 8; ++k) arrays[k] = o.get(kFields[k].name);
    for (int k = 0; k < 8; ++k) {
      const std::string name = std::string("options.out.") + kFields[k].name;
      const std::string shape = std::string(kFields[k].shape) + " with " + dims;
      switch (k) {
        case 0: case 2: case 3: case 4:
          data[k] = lease_owned_array<float>(env, arrays[k], name, lengths[k], shape, lease);
          break;
        case 1: case 7:
          data[k] = lease_owned_array<int32_t>(env, arrays[k], name, lengths[k], shape, lease);
          break;
        default:
          data[k] = lease_owned_array<uint8_t>(env, arrays[k], name, lengths[k], shape, lease);
      }
      const auto* lo = static_cast<const char*>(data[k]);
      for (int j = 0; j < k; ++j) {
        const auto* other = static_cast<const char*>(data[j]);
        if (lengths[k] > 0 && lengths[j] > 0 && lo < other + lengths[j] * size[j] && other < lo + lengths[k] * size[k])
          throw_error(env, codes::kInvalidArgument,
                      name + " shares memory with options.out." + kFields[j].name + "; each field needs its own array");
      }
    }
  }
  // Own data properties: no setter of the caller's runs before the rollout.
  for (int k = 0; k < 8; ++k) put(result, kFields[k].name, arrays[k]);
  if (arrays_out)
    for (int k = 0; k < 8; ++k) arrays_out[k] = arrays[k];
  put(result, "steps", Napi::Number::New(env, steps));
  // Defined, not assigned: an index setter on Array.prototype would otherwise run the caller's
  // code after the views above were taken.
  put(result, "statNames", string_array(env, game.stat_names()));
  return TrajectoryView{static_cast<float*>(data[0]),   static_cast<int32_t*>(data[1]), static_cast<float*>(data[2]),
                        static_cast<float*>(data[3]),   static_cast<float*>(data[4]),   static_cast<uint8_t*>(data[5]),
                        static_cast<uint8_t*>(data[6]), n_stats ? static_cast<int32_t*>(data[7]) : nullptr};
}

Napi::Value AllocateTrajectory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto game = unwrap<GameWrap>(env, info[0], "game", "Game")->game(env);
    const Options o(env, info[1], "options", {"batch", "steps"});
    RolloutOptions opt;
    opt.batch = integer(env, o.get("batch"), "options.batch", 1, limits::kMaxBatch);
    opt.steps = static_cast<int>(o.integer_or("steps", 0, 1, limits::kMaxRolloutSteps));
    Napi::Object result = Napi::Object::New(env);
    trajectory_arrays(env, *game, opt, env.Undefined(), result, nullptr, true);
    return result;
  });
}

Napi::Value Rollout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    RolloutJob job;
    RolloutCall& call = job.call;
    call.game = unwrap<GameWrap>(env, info[0], "game", "Game")->game(env);
    const std::vector<Napi::Value> ps = array_elements(env, info[1], "policies", limits::kMaxPolicies, "an array of policies");
    const Options o(env, info[2], "options",
                    {"batch", "steps", "seed", "threads", "temperature", "greedy", "groups", "out", "gpu"});
    // Each policy is held (shared) from here on: disposing it later frees nothing the job uses.
    for (size_t i = 0; i < ps.size(); ++i) {
      const std::string name = "policies[" + std::to_string(i) + "]";
      call.policies.push_back(unwrap<PolicyWrap>(env, ps[i], name, "Policy")->policy(env));
    }
    RolloutOptions& opt = call.options;
    read_rollout_options(env, o, opt);
    opt.seed = o.has("seed") ? seed(env, o.get("seed"), "options.seed") : 0;
    check_policies(*call.game, call.policies);
    call.gpu = gpu::plan_rollout(gpu::want_of(env, o.get("gpu"), "options.gpu"), *call.game, call.policies);
    Napi::Object result = Napi::Object::New(env);
    const bool inline_run = call.runs_inline();
    call.view = trajectory_arrays(env, *call.game, opt, o.get("out"), result,
                                  inline_run ? nullptr : &job.lease, false);

    // Small rollouts of scripted players take microseconds: run them here
    // rather than pay for the hop to a worker thread and back, and settle
    // the promise at once.
    if (inline_run) {
      Napi::Promise promise = settled_now(env, [&] { call.run(); }, [&] { return result; });
      job.lease.release();
      return promise;
    }
    auto* worker = new RolloutWorker(env, std::move(job), result);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  });
}

}  // namespace dilemma::addon
