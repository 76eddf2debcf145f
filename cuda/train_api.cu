// The device trainer (dlm_cuda_trainer_*): its state on the device and one
// iteration as a sequence of kernels over the stages of train_stages.cuh:
// tables, rollout (a thread per environment), group sums (a thread per
// column), credits and their per-(state, action) sums (a thread per chunk of
// environments, or a warp per chunk where the tables are small:
// train_credit_segment), chunk totals (a thread per field), and the closed-form
// gradient with Adam (one thread: the table is small). An MLP policy
// (train_mlp.cuh) first fills the table from a forward pass per state (a
// thread per state); its update runs the closed-form logit gradient (one
// thread), the backward pass per state (a thread per state), each
// parameter's sum over the states (a thread per parameter), the gradient's
// norm (one thread) and Adam (a thread per parameter). Every sum runs in a fixed order, so the same seed gives the same
// numbers on every run.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "api_checks.cuh"
#include "device_memory.cuh"
#include "dilemma_cuda.h"
#include "status.cuh"
#include "train_mlp.cuh"
#include "train_stages.cuh"

namespace dilemma::cuda {

namespace {

constexpr int kThreads = 128;
// Environments per credit thread: small enough that a batch of 2^20 gives
// 2^15 threads.
constexpr int64_t kDeviceChunk = 32;
static_assert(kDeviceChunk == kWarpLanes, "the warp credit pass takes a chunk per warp");

unsigned blocks_for(int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

// logits: the tabular parameters, or an MLP's logits per state.
__global__ void prepare_kernel(const float* logits, int64_t states, float temperature, TableRow* table, int* bad) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (s < states && !prepare_table_row(logits + s * 2, temperature, &table[s])) *bad = 1;
}

__global__ void mlp_forward_kernel(const TrainMlp n, const float* params) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (s < n.states) train_mlp_forward(n, params, s);
}

__global__ void mlp_logit_grad_kernel(const TrainUpdate u, const double* totals, const TableRow* table,
                                      const TrainMlp n, TrainLossSums* sums) {
  *sums = train_logit_grads(u, totals, table, n.logits, n.dlogits);
}

__global__ void mlp_backward_kernel(const TrainMlp n, const float* params) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (s < n.states) train_mlp_backward(n, params, s);
}

__global__ void mlp_param_grad_kernel(const TrainMlp n, float* grad) {
  const int64_t p = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (p < n.params) grad[p] = train_mlp_param_grad(n, p);
}

// The gradient's norm into *norm, and the first epoch's metrics.
__global__ void mlp_norm_kernel(const TrainUpdate u, int epoch, int64_t count, const float* grad, const double* totals,
                                const TrainLossSums* sums, double* norm, TrainUpdateMetrics* out) {
  *norm = train_grad_norm(grad, count);
  if (epoch == 0) *out = train_metrics(u, totals, *sums, *norm);
}

__global__ void mlp_adam_kernel(const TrainUpdate u, int epoch, int64_t count, const double* norm, float* params,
                                float* m, float* v, float* grad) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i < count) train_adam_element(u, epoch, *norm, i, params, m, v, grad);
}

template <int H>
__global__ void __launch_bounds__(kThreads) play_kernel(const TrainRun r) {
  const int64_t b = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (b < r.B) train_play<H>(r, b);
}

__global__ void group_sum_kernel(const TrainRun r, int64_t series) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= series * r.group_count * r.T) return;
  const int64_t t = i % r.T, g = (i / r.T) % r.group_count, s = i / (r.T * r.group_count);
  train_group_sum(r, s, g, t);
}

__global__ void credit_kernel(const TrainRun r, int64_t chunks) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (c < chunks) train_credit_chunk(r, c);
}

// Rows [t0, t0 + n) of environments b0..b0 + envs - 1 of a [B, T] series
// into each lane's out[0, n): the warp reads row after row (consecutive lanes,
// consecutive steps), then every lane reads its own row of the tile.
template <typename V, typename Get>
__device__ __forceinline__ void stage_rows(int32_t* tile, int lane, int envs, int n, Get&& get, V* out) {
  constexpr int kPitch = kWarpLanes + 1;  // no bank conflicts reading a tile row
  if (lane < n)
    for (int j = 0; j < envs; ++j) tile[j * kPitch + lane] = get(j);
  __syncwarp();
  if (lane < envs)
    for (int i = 0; i < n; ++i) out[i] = static_cast<V>(tile[lane * kPitch + i]);
  __syncwarp();
}

// A warp per chunk of kWarpLanes environments (train_credit_segment).
__global__ void __launch_bounds__(kThreads) credit_warp_kernel(const TrainRun r, int64_t chunks, int64_t fields) {
  constexpr int kWarps = kThreads / kWarpLanes;
  __shared__ int32_t tiles[kWarps][kWarpLanes * (kWarpLanes + 1)];
  const int warp = threadIdx.x / kWarpLanes, lane = threadIdx.x % kWarpLanes;
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kWarps + warp;
  if (c >= chunks) return;  // the whole warp
  int32_t* tile = tiles[warp];
  const int64_t T = r.T, b0 = c * kWarpLanes, b = b0 + lane;
  const int envs = static_cast<int>(r.B - b0 < kWarpLanes ? r.B - b0 : kWarpLanes);
  double table[kLaneFields];
  for (int f = 0; f < kLaneFields; ++f) table[f] = 0.0;
  float carry[2] = {0.0f, 0.0f};
  float ret[2][kWarpLanes], rw[2][kWarpLanes];
  int32_t code[2][kWarpLanes];
  uint8_t live[kWarpLanes];
  const TrainSegment seg{{ret[0], ret[1]}, {rw[0], rw[1]}, {code[0], code[1]}, live};
  for (int64_t t0 = 0; t0 < T; t0 += kWarpLanes) {
    const int n = static_cast<int>(T - t0 < kWarpLanes ? T - t0 : kWarpLanes);
    const int64_t at = b0 * T + t0 + lane;  // row j's element: at + j * T
    for (int a = 0; a < 2; ++a) {
      stage_rows(tile, lane, envs, n, [&](int j) { return __float_as_int(r.returns[a][at + j * T]); }, code[a]);
      for (int i = 0; i < n; ++i) ret[a][i] = __int_as_float(code[a][i]);
      if (r.reward_past) {
        stage_rows(tile, lane, envs, n, [&](int j) { return __float_as_int(r.rewards[a][at + j * T]); }, code[a]);
        for (int i = 0; i < n; ++i) rw[a][i] = __int_as_float(code[a][i]);
      }
      stage_rows(tile, lane, envs, n, [&](int j) { return r.codes[a * r.BT + at + j * T]; }, code[a]);
    }
    stage_rows(tile, lane, envs, n, [&](int j) { return static_cast<int32_t>(r.live[at + j * T]); }, live);
    if (lane < envs) train_credit_segment(r, b, t0, n, seg, carry, table);
  }
  if (lane < envs) train_credit_env_end(r, b, table);
  // Lanes past the batch's end add their zero tables.
  double* part = r.parts + c * fields;
  for (int64_t f = 0; f < fields; ++f) {
    double v = table[f];
    for (int w = kWarpLanes / 2; w >= 1; w /= 2) v += __shfl_xor_sync(0xffffffffu, v, w);
    if (lane == 0) part[f] = v;
  }
}

__global__ void total_kernel(const double* parts, int64_t chunks, int64_t fields, double* totals) {
  const int64_t f = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (f < fields) totals[f] = train_total(parts, chunks, fields, f);
}

__global__ void update_kernel(const TrainUpdate u, const double* totals, const TableRow* table, float* params,
                              float* m, float* v, float* grad, TrainUpdateMetrics* out) {
  *out = train_update(u, totals, table, params, m, v, grad);
}

}  // namespace

}  // namespace dilemma::cuda

using namespace dilemma::cuda;

struct dlm_cuda_trainer {
  dlm_cuda_train_config cfg;
  bool mlp;
  int64_t iteration, adam_t, states, chunks, fields, summed, count;
  Stream stream;
  DeviceArray<float> params, m, v, grad;
  DeviceArray<float> obs, hidden, delta, logits, dlogits;  // an MLP's per-state pass
  DeviceArray<TrainLossSums> sums;
  DeviceArray<double> norm;
  DeviceArray<TableRow> table;
  DeviceArray<float> returns, rewards, scratch;
  DeviceArray<uint8_t> live;
  DeviceArray<int32_t> codes, coop;
  DeviceArray<double> reward_sum, group_sums, parts, totals;
  DeviceArray<TrainUpdateMetrics> metrics;
  DeviceArray<int> bad;

  dlm_cuda_trainer(const dlm_cuda_train_config& c, int64_t group_count, int64_t param_count, int64_t hidden_total)
      : cfg(c),
        mlp(c.policy == DLM_CUDA_POLICY_MLP),
        iteration(0),
        adam_t(0),
        states(c.states),
        chunks((c.batch + kDeviceChunk - 1) / kDeviceChunk),
        fields(train_fields(c.states)),
        summed(c.aa_past_rewards ? 4 : 2),
        count(param_count),
        params(param_count),
        m(param_count),
        v(param_count),
        grad(param_count),
        obs(mlp ? c.states * c.history * dilemma::matrix::kSlot : 0),
        hidden(mlp ? c.states * hidden_total : 0),
        delta(mlp ? c.states * hidden_total : 0),
        logits(mlp ? c.states * 2 : 0),
        dlogits(mlp ? c.states * 2 : 0),
        sums(mlp ? 1 : 0),
        norm(mlp ? 1 : 0),
        table(c.states),
        returns(2 * c.batch * c.steps),
        rewards(c.aa_past_rewards ? 2 * c.batch * c.steps : 0),
        scratch(chunks * 5 * c.steps),
        live(c.batch * c.steps),
        codes(2 * c.batch * c.steps),
        coop(2 * c.batch),
        reward_sum(2 * c.batch),
        group_sums(summed * group_count * c.steps),
        parts(chunks * fields),
        totals(fields),
        metrics(1),
        bad(1) {}
};

namespace dilemma::cuda {
namespace {

int64_t group_count_of(const dlm_cuda_train_config& c) { return (c.batch + c.group_size - 1) / c.group_size; }

// An MLP's layout from the config; only after check_config.
learn::MlpShape mlp_shape_of(const dlm_cuda_train_config& c) {
  learn::MlpShape m{};
  m.layers = c.mlp_layers;
  for (int i = 0; i <= c.mlp_layers; ++i) m.widths[i] = c.mlp_widths[i];
  m.relu = c.mlp_relu != 0;
  return m;
}

constexpr int kMlpMaxWidth = DLM_CUDA_MLP_MAX_WIDTH;

void check_mlp(const dlm_cuda_train_config* c) {
  if (c->history > kMlpMaxHistory)
    invalid("config.history must be at most " + std::to_string(kMlpMaxHistory) + " for an MLP policy");
  if (c->states != train_mlp_states(c->history) || c->blocks != c->history || c->block_size != matrix::kSlot)
    invalid("config.states, config.blocks and config.block_size must be 5^history, history and 5 for an MLP policy");
  if (c->mlp_layers < 1 || c->mlp_layers > learn::kMlpMaxLayers)
    invalid("config.mlp_layers must be in [1, " + std::to_string(learn::kMlpMaxLayers) + "]");
  if (c->mlp_widths[0] != c->history * matrix::kSlot) invalid("config.mlp_widths[0] must be 5 * config.history");
  if (c->mlp_widths[c->mlp_layers] != 2) invalid("config.mlp_widths[config.mlp_layers] must be 2 (the actions)");
  for (int i = 1; i < c->mlp_layers; ++i)
    if (c->mlp_widths[i] < 1 || c->mlp_widths[i] > kMlpMaxWidth)
      invalid("config.mlp_widths[" + std::to_string(i) + "] must be in [1, " + std::to_string(kMlpMaxWidth) + "]");
}

void check_config(const dlm_cuda_train_config* c) {
  if (!c) invalid("config must not be null");
  if (c->history < 1 || c->history > matrix::kMaxHistory) invalid("config.history must be in [1, " + std::to_string(matrix::kMaxHistory) + "]");
  if (c->batch < 1) invalid("config.batch must be >= 1");
  if (c->steps < 1) invalid("config.steps must be >= 1");
  if (c->epochs < 1) invalid("config.epochs must be >= 1");
  if (c->group_size < 1) invalid("config.group_size must be >= 1");
  if (c->states < 1 || c->states > DLM_CUDA_TRAIN_MAX_STATES)
    invalid("config.states must be in [1, " + std::to_string(DLM_CUDA_TRAIN_MAX_STATES) + "]");
  if (c->policy != DLM_CUDA_POLICY_TABULAR && c->policy != DLM_CUDA_POLICY_MLP) invalid("config.policy is unknown");
  if (c->policy == DLM_CUDA_POLICY_MLP) check_mlp(c);
  if (c->blocks < 1 || c->block_size < 1) invalid("config.blocks and config.block_size must be >= 1");
  if (c->blocks * c->block_size > c->history * matrix::kSlot)
    invalid("config.blocks * config.block_size must not exceed the observation size");
  if (c->algorithm < 0 || c->algorithm > 2) invalid("config.algorithm must be 0, 1 or 2");
  if (c->aa_form != DLM_CUDA_AA_DISCOUNTED && c->aa_form != DLM_CUDA_AA_MEAN) invalid("config.aa_form is unknown");
  if (c->objective < 0 || c->objective > 1) invalid("config.objective must be 0 or 1");
  if (c->normalize < 0 || c->normalize > 2) invalid("config.normalize must be 0, 1 or 2");
  if (!(c->gamma >= 0.0f && c->gamma <= 1.0f)) invalid("config.gamma must be in [0, 1]");
  if (!(c->temperature > 0.0f) || !std::isfinite(c->temperature)) invalid("config.temperature must be finite and > 0");
  const double cells = static_cast<double>(c->batch) * c->steps;
  if (cells > 4e9) invalid("config.batch * config.steps must be at most 4e9");
}

TrainRun run_of(dlm_cuda_trainer& t) {
  const dlm_cuda_train_config& c = t.cfg;
  TrainRun r{};
  for (int i = 0; i < 8; ++i) r.rules.rewards[i] = c.rewards[i];
  r.rules.noise = c.noise;
  r.rules.continuation = c.continuation;
  r.rules.rounds = c.rounds;
  r.history = c.history;
  r.states = c.states;
  r.direct = c.block_size == matrix::kSlot && c.blocks == c.history;
  r.blocks = c.blocks;
  r.block_size = c.block_size;
  r.seed = train_iteration_seed(c.seed, t.iteration, 0);
  r.B = c.batch;
  r.T = c.steps;
  r.BT = c.batch * c.steps;
  r.group_size = c.group_size;
  r.group_count = group_count_of(c);
  r.chunk = kDeviceChunk;
  r.gamma = c.gamma;
  r.beta = c.beta;
  r.temperature = c.temperature;
  r.include_current = c.include_current != 0;
  r.reward_past = c.aa_past_rewards != 0 && c.algorithm == 1;
  r.form = static_cast<credit::AaForm>(c.aa_form);
  r.algorithm = static_cast<TrainAlgorithm>(c.algorithm);
  r.table = t.table.get();
  r.returns[0] = t.returns.get();
  r.returns[1] = t.returns.get() + r.BT;
  r.rewards[0] = r.reward_past ? t.rewards.get() : nullptr;
  r.rewards[1] = r.reward_past ? t.rewards.get() + r.BT : nullptr;
  r.live = t.live.get();
  r.codes = t.codes.get();
  r.coop = t.coop.get();
  r.reward_sum = t.reward_sum.get();
  r.group_sums = t.group_sums.get();
  r.scratch = t.scratch.get();
  r.parts = t.parts.get();
  return r;
}

TrainMlp mlp_of(dlm_cuda_trainer& t) {
  TrainMlp n{};
  n.shape = mlp_shape_of(t.cfg);
  n.history = t.cfg.history;
  n.states = t.states;
  n.obs_dim = static_cast<int64_t>(t.cfg.history) * matrix::kSlot;
  n.hidden_total = learn::mlp_hidden_total(n.shape);
  n.params = t.count;
  n.obs = t.obs.get();
  n.hidden = t.hidden.get();
  n.delta = t.delta.get();
  n.logits = t.logits.get();
  n.dlogits = t.dlogits.get();
  return n;
}

void iterate(dlm_cuda_trainer& t, dlm_cuda_train_metrics* out) {
  const dlm_cuda_train_config& c = t.cfg;
  const cudaStream_t s = t.stream.get();
  TrainRun r = run_of(t);
  check(cudaMemsetAsync(t.bad.get(), 0, sizeof(int), s), "cudaMemsetAsync");
  TrainMlp n{};
  if (t.mlp) {
    n = mlp_of(t);
    mlp_forward_kernel<<<blocks_for(t.states), kThreads, 0, s>>>(n, t.params.get());
    check(cudaGetLastError(), "MLP forward kernel launch");
  }
  prepare_kernel<<<blocks_for(t.states), kThreads, 0, s>>>(t.mlp ? t.logits.get() : t.params.get(), t.states,
                                                           c.temperature, t.table.get(), t.bad.get());
  check(cudaGetLastError(), "table kernel launch");
  with_train_history(c.history, [&](auto h) {
    play_kernel<decltype(h)::value><<<blocks_for(c.batch), kThreads, 0, s>>>(r);
    return true;
  });
  check(cudaGetLastError(), "rollout kernel launch");
  group_sum_kernel<<<blocks_for(t.summed * r.group_count * r.T), kThreads, 0, s>>>(r, t.summed);
  check(cudaGetLastError(), "group sum kernel launch");
  if (train_warp_credits(t.states))
    credit_warp_kernel<<<blocks_for(t.chunks * kWarpLanes), kThreads, 0, s>>>(r, t.chunks, t.fields);
  else
    credit_kernel<<<blocks_for(t.chunks), kThreads, 0, s>>>(r, t.chunks);
  check(cudaGetLastError(), "credit kernel launch");
  total_kernel<<<blocks_for(t.fields), kThreads, 0, s>>>(t.parts.get(), t.chunks, t.fields, t.totals.get());
  check(cudaGetLastError(), "total kernel launch");
  TrainUpdate u{};
  u.states = t.states;
  u.epochs = c.epochs;
  u.row = {static_cast<learn::LossObjective>(c.objective), c.ratio_cap, c.clip, c.entropy_coef, 0.0f};
  u.normalize = c.normalize;
  u.normalizer = c.normalizer;
  u.rows = 2 * r.BT;
  u.temperature = c.temperature;
  u.lr = train_learning_rate(c.lr, c.linear_schedule != 0, c.iterations, t.iteration);
  u.beta1 = c.beta1;
  u.beta2 = c.beta2;
  u.eps = c.eps;
  u.clip_norm = c.clip_norm;
  u.adam_t = t.adam_t;
  // The update reads the tables only after the check below: a non-finite
  // logit must leave the parameters as they were, as on the CPU.
  int bad = 0;
  t.bad.download(&bad, s);
  t.stream.sync();
  if (bad) fail(DLM_CUDA_ERR_INVALID_ARGUMENT, "policy has a non-finite logit");
  if (!t.mlp) {
    update_kernel<<<1, 1, 0, s>>>(u, t.totals.get(), t.table.get(), t.params.get(), t.m.get(), t.v.get(),
                                  t.grad.get(), t.metrics.get());
    check(cudaGetLastError(), "update kernel launch");
  }
  for (int e = 0; t.mlp && e < c.epochs; ++e) {
    if (e > 0) mlp_forward_kernel<<<blocks_for(t.states), kThreads, 0, s>>>(n, t.params.get());
    mlp_logit_grad_kernel<<<1, 1, 0, s>>>(u, t.totals.get(), t.table.get(), n, t.sums.get());
    mlp_backward_kernel<<<blocks_for(t.states), kThreads, 0, s>>>(n, t.params.get());
    mlp_param_grad_kernel<<<blocks_for(t.count), kThreads, 0, s>>>(n, t.grad.get());
    mlp_norm_kernel<<<1, 1, 0, s>>>(u, e, t.count, t.grad.get(), t.totals.get(), t.sums.get(), t.norm.get(),
                                    t.metrics.get());
    mlp_adam_kernel<<<blocks_for(t.count), kThreads, 0, s>>>(u, e, t.count, t.norm.get(), t.params.get(), t.m.get(),
                                                             t.v.get(), t.grad.get());
    check(cudaGetLastError(), "MLP update kernel launch");
  }
  TrainUpdateMetrics um{};
  std::vector<double> extra(kExtraFields);
  t.metrics.download(&um, s);
  check(cudaMemcpyAsync(extra.data(), t.totals.get() + t.states * 2 * kSumFields, kExtraFields * sizeof(double),
                        cudaMemcpyDeviceToHost, s),
        "cudaMemcpyAsync");
  t.stream.sync();
  out->iteration = t.iteration;
  for (int a = 0; a < 2; ++a) {
    out->mean_return[a] = extra[2 + a] / static_cast<double>(c.batch);
    out->action0_rate[a] = extra[4 + a] / (extra[1] > 1.0 ? extra[1] : 1.0);
  }
  out->policy_loss = um.policy_loss;
  out->entropy = um.entropy;
  out->clipped_fraction = um.clipped_fraction;
  out->grad_norm = um.grad_norm;
  out->credit_abs_mean = um.credit_abs_mean;
  ++t.iteration;
  t.adam_t += c.epochs;
}

}  // namespace
}  // namespace dilemma::cuda

extern "C" {

DLM_CUDA_API int dlm_cuda_trainer_create(const dlm_cuda_train_config* config, const float* params, const float* adam_m,
                                         const float* adam_v, int64_t adam_t, int64_t iteration,
                                         dlm_cuda_trainer** out, char* err, size_t err_size) {
  return abi_call(err, err_size, [&] {
    if (!out) invalid("out must not be null");
    *out = nullptr;
    check_config(config);
    if (!params || !adam_m || !adam_v) invalid("params, adam_m and adam_v must not be null");
    if (adam_t < 0 || iteration < 0) invalid("adam_t and iteration must be >= 0");
    require_device();
    const bool mlp = config->policy == DLM_CUDA_POLICY_MLP;
    const dilemma::learn::MlpShape shape = mlp ? mlp_shape_of(*config) : dilemma::learn::MlpShape{};
    const int64_t count = mlp ? dilemma::learn::mlp_param_count(shape) : config->states * 2;
    auto* t = new dlm_cuda_trainer(*config, group_count_of(*config), count, mlp ? dilemma::learn::mlp_hidden_total(shape) : 0);
    t->iteration = iteration;
    t->adam_t = adam_t;
    t->params.upload(params, t->stream.get());
    t->m.upload(adam_m, t->stream.get());
    t->v.upload(adam_v, t->stream.get());
    try {
      t->stream.sync();
    } catch (...) {
      delete t;
      throw;
    }
    *out = t;
  });
}

DLM_CUDA_API int dlm_cuda_trainer_iterate(dlm_cuda_trainer* trainer, dlm_cuda_train_metrics* out, char* err,
                                          size_t err_size) {
  return abi_call(err, err_size, [&] {
    if (!trainer || !out) invalid("trainer and out must not be null");
    iterate(*trainer, out);
  });
}

DLM_CUDA_API int dlm_cuda_trainer_state(const dlm_cuda_trainer* trainer, float* params, float* adam_m, float* adam_v,
                                        int64_t* adam_t, int64_t* iteration, char* err, size_t err_size) {
  return abi_call(err, err_size, [&] {
    if (!trainer) invalid("trainer must not be null");
    auto& t = const_cast<dlm_cuda_trainer&>(*trainer);
    if (params) t.params.download(params, t.stream.get());
    if (adam_m) t.m.download(adam_m, t.stream.get());
    if (adam_v) t.v.download(adam_v, t.stream.get());
    t.stream.sync();
    if (adam_t) *adam_t = t.adam_t;
    if (iteration) *iteration = t.iteration;
  });
}

DLM_CUDA_API void dlm_cuda_trainer_destroy(dlm_cuda_trainer* trainer) { delete trainer; }

}  // extern "C"
