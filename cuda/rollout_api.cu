// Matrix-game rollout entry points of the C ABI: argument checks
// (rollout_args.cuh), copies between host and device, and the launch of
// rollout_kernels.cu.
#include <cuda_runtime.h>

#include <cstdint>

#include "api_checks.cuh"
#include "device_memory.cuh"
#include "dilemma_cuda.h"
#include "rollout_args.cuh"
#include "rollout_launch.cuh"
#include "status.cuh"

namespace dilemma::cuda {

namespace {

void rollout_host(const dlm_cuda_matrix_game* game, const dlm_cuda_matrix_policy* policies, const uint32_t* streams,
                  int64_t batch, int32_t steps, uint64_t seed, float temperature, int greedy,
                  const dlm_cuda_trajectory* out) {
  Checked c = check_args(game, policies, batch, steps, seed, temperature, greedy, out, streams);
  for (int k = 0; k < 2; ++k)
    if (c.states[k] > 0) check_table_values(policies[k].table, c.states[k] * 2, k);
  require_device();
  Stream stream;
  const cudaStream_t s = stream.get();
  MatrixRollout& r = c.rollout;
  DeviceArray<float> tables[2] = {DeviceArray<float>(static_cast<size_t>(c.states[0]) * 2),
                                  DeviceArray<float>(static_cast<size_t>(c.states[1]) * 2)};
  for (int k = 0; k < 2; ++k) {
    if (c.states[k] == 0) continue;
    tables[k].upload(policies[k].table, s);
    r.policy[k].table = tables[k].get();
  }
  DeviceArray<uint32_t> stream_ids(streams ? static_cast<size_t>(batch) : 0);
  if (streams) {
    stream_ids.upload(streams, s);
    r.streams = stream_ids.get();
  }
  const size_t per_agent = static_cast<size_t>(batch) * static_cast<size_t>(steps) * 2;
  const size_t per_step = static_cast<size_t>(batch) * static_cast<size_t>(steps);
  const size_t obs = out->obs ? per_agent * matrix::kSlot * static_cast<size_t>(r.history) : 0;
  DeviceArray<int32_t> actions(per_agent);
  DeviceArray<float> logp(per_agent), rewards(per_agent), entropy(out->entropy ? per_agent : 0), observations(obs);
  DeviceArray<uint8_t> dones(per_step), mask(per_step);
  r.out = dlm_cuda_trajectory{actions.get(), logp.get(), rewards.get(), dones.get(),
                              mask.get(),    out->entropy ? entropy.get() : nullptr,
                              out->obs ? observations.get() : nullptr};
  check(launch_matrix_rollout(r, s), "matrix rollout kernel launch");
  actions.download(out->actions, s);
  logp.download(out->logp, s);
  rewards.download(out->rewards, s);
  dones.download(out->dones, s);
  mask.download(out->mask, s);
  if (out->entropy) entropy.download(out->entropy, s);
  if (out->obs) observations.download(out->obs, s);
  stream.sync();
}

}  // namespace

}  // namespace dilemma::cuda

using namespace dilemma::cuda;

extern "C" {

DLM_CUDA_API int dlm_cuda_matrix_rollout(const dlm_cuda_matrix_game* game, const dlm_cuda_matrix_policy* policies,
                                         const uint32_t* streams, int64_t batch, int32_t steps, uint64_t seed,
                                         float temperature, int greedy, const dlm_cuda_trajectory* out, char* err,
                                         size_t err_size) {
  return abi_call(err, err_size,
                  [&] { rollout_host(game, policies, streams, batch, steps, seed, temperature, greedy, out); });
}

DLM_CUDA_API int dlm_cuda_matrix_rollout_device(const dlm_cuda_matrix_game* game,
                                                const dlm_cuda_matrix_policy* policies, const uint32_t* streams,
                                                int64_t batch, int32_t steps, uint64_t seed, float temperature,
                                                int greedy, const dlm_cuda_trajectory* out, void* stream, char* err,
                                                size_t err_size) {
  return abi_call(err, err_size, [&] {
    const Checked c = check_args(game, policies, batch, steps, seed, temperature, greedy, out, streams);
    require_driver();
    check(launch_matrix_rollout(c.rollout, as_stream(stream)), "matrix rollout kernel launch");
  });
}

}  // extern "C"
