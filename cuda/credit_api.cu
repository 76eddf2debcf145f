// Credit entry points of the C ABI: argument checks (the same rules as
// native/core/credit.cpp), copies between host and device, and the
// leave-one-out group plan, which is built on the host.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "api_checks.cuh"
#include "credit_launch.cuh"
#include "device_memory.cuh"
#include "dilemma_cuda.h"
#include "status.cuh"

namespace dilemma::cuda {

namespace {

void check_shape(int64_t batch, int64_t steps) {
  if (batch < 1) invalid("batch must be at least 1, got " + std::to_string(batch));
  if (steps < 1) invalid("steps must be at least 1, got " + std::to_string(steps));
  // Rollout indices are int32 on the device.
  if (batch > INT32_MAX) invalid("batch must be at most " + std::to_string(INT32_MAX) + ", got " + std::to_string(batch));
  if (steps + 1 > kMaxElements / batch) invalid("batch * steps is too large");
}

void check_unit(float v, const char* name) {
  if (!(v >= 0.0f && v <= 1.0f))
    invalid(std::string(name) + " must be a finite number in [0, 1], got " + std::to_string(v));
}

credit::AaForm check_aa(float beta, float gamma, int form) {
  if (!std::isfinite(beta)) invalid("beta must be a finite number, got " + std::to_string(beta));
  check_unit(gamma, "gamma");
  if (form != DLM_CUDA_AA_DISCOUNTED && form != DLM_CUDA_AA_MEAN)
    invalid("form must be DLM_CUDA_AA_DISCOUNTED (0) or DLM_CUDA_AA_MEAN (1), got " + std::to_string(form));
  return static_cast<credit::AaForm>(form);
}

// Argument checks shared by each entry point's host-pointer and device-pointer variants.
void check_returns_args(const float* rewards, const float* out, int64_t batch, int64_t steps, float gamma) {
  check_shape(batch, steps);
  check_ptr(rewards, "rewards");
  check_ptr(out, "out");
  check_unit(gamma, "gamma");
}

void check_gae_args(const float* rewards, const float* values, const float* out, int64_t batch, int64_t steps,
                    float gamma, float lambda) {
  check_returns_args(rewards, out, batch, steps, gamma);
  check_ptr(values, "values");
  check_unit(lambda, "lambda");
}

credit::AaForm check_aa_args(const float* own, const float* others, const float* out, int64_t batch, int64_t steps,
                             float beta, float gamma, int form) {
  check_shape(batch, steps);
  check_ptr(own, "own");
  check_ptr(others, "others");
  check_ptr(out, "out");
  return check_aa(beta, gamma, form);
}

size_t count_of(int64_t batch, int64_t steps) { return static_cast<size_t>(batch) * static_cast<size_t>(steps); }

// Host-side part of leave-one-out: dense group indices in order of first
// appearance (as the CPU path numbers them), rollouts sorted by group (stable,
// so within a group they keep rollout order) and cut into chunks.
struct HostLooPlan {
  std::vector<int32_t> row_group, group_size, members, chunk_begin, group_chunk_begin;
};

HostLooPlan plan_groups(const int32_t* groups, int64_t batch) {
  HostLooPlan p;
  p.row_group.assign(static_cast<size_t>(batch), 0);
  if (groups == nullptr) {
    p.group_size.push_back(static_cast<int32_t>(batch));
  } else {
    std::unordered_map<int32_t, int32_t> index;
    index.reserve(static_cast<size_t>(batch));
    for (int64_t b = 0; b < batch; ++b) {
      auto [it, fresh] = index.emplace(groups[b], static_cast<int32_t>(p.group_size.size()));
      if (fresh) p.group_size.push_back(0);
      p.row_group[b] = it->second;
      ++p.group_size[it->second];
    }
  }
  const size_t n_groups = p.group_size.size();
  std::vector<int32_t> next(n_groups, 0);
  for (size_t g = 1; g < n_groups; ++g) next[g] = next[g - 1] + p.group_size[g - 1];
  p.members.resize(static_cast<size_t>(batch));
  p.group_chunk_begin.reserve(n_groups + 1);
  for (size_t g = 0; g < n_groups; ++g) {
    p.group_chunk_begin.push_back(static_cast<int32_t>(p.chunk_begin.size()));
    for (int32_t k = 0; k < p.group_size[g]; k += kLooChunk) p.chunk_begin.push_back(next[g] + k);
  }
  p.group_chunk_begin.push_back(static_cast<int32_t>(p.chunk_begin.size()));
  p.chunk_begin.push_back(static_cast<int32_t>(batch));
  for (int64_t b = 0; b < batch; ++b) p.members[next[p.row_group[b]]++] = static_cast<int32_t>(b);
  return p;
}

template <typename T>
DeviceArray<T> upload(const std::vector<T>& host, cudaStream_t stream) {
  DeviceArray<T> d(host.size());
  d.upload(host.data(), stream);
  return d;
}

void leave_one_out(const float* values, const int32_t* groups, float* out, int64_t batch, int64_t steps) {
  check_shape(batch, steps);
  check_ptr(values, "values");
  check_ptr(out, "out");
  require_device();
  const HostLooPlan host = plan_groups(groups, batch);
  const size_t n = count_of(batch, steps);
  if (host.group_size.size() == static_cast<size_t>(batch)) {
    // Every rollout alone in its group: no baseline, as on the CPU.
    if (out != values) std::memmove(out, values, n * sizeof(float));
    return;
  }
  Stream stream;
  const cudaStream_t s = stream.get();
  DeviceArray<float> x(n);
  x.upload(values, s);
  DeviceArray<int32_t> row_group = upload(host.row_group, s), group_size = upload(host.group_size, s),
                       members = upload(host.members, s), chunk_begin = upload(host.chunk_begin, s),
                       group_chunk_begin = upload(host.group_chunk_begin, s);
  LooPlan plan;
  plan.groups = static_cast<int64_t>(host.group_size.size());
  plan.chunks = static_cast<int64_t>(host.chunk_begin.size()) - 1;
  plan.row_group = row_group.get();
  plan.group_size = group_size.get();
  plan.members = members.get();
  plan.chunk_begin = chunk_begin.get();
  plan.group_chunk_begin = group_chunk_begin.get();
  DeviceArray<double> partial(static_cast<size_t>(plan.chunks) * static_cast<size_t>(steps));
  // With every group in one chunk the partial sums already are the group sums.
  DeviceArray<double> sums(plan.chunks == plan.groups ? 0 : static_cast<size_t>(plan.groups) * steps);
  check(launch_leave_one_out(x.get(), x.get(), batch, steps, plan, partial.get(), sums.get(), s),
        "leave-one-out kernel launch");
  x.download(out, s);
  stream.sync();
}

}  // namespace

}  // namespace dilemma::cuda

using namespace dilemma::cuda;

extern "C" {

DLM_CUDA_API int dlm_cuda_discounted_returns(const float* rewards, float* out, int64_t batch, int64_t steps,
                                             float gamma, char* err, size_t err_size) {
  return abi_call(err, err_size, [&] {
    check_returns_args(rewards, out, batch, steps, gamma);
    require_device();
    Stream stream;
    DeviceArray<float> r(count_of(batch, steps));
    r.upload(rewards, stream.get());
    check(launch_discounted_returns(r.get(), r.get(), batch, steps, gamma, stream.get()),
          "discounted returns kernel launch");
    r.download(out, stream.get());
    stream.sync();
  });
}

DLM_CUDA_API int dlm_cuda_gae(const float* rewards, const float* values, float* out, int64_t batch, int64_t steps,
                              float gamma, float lambda, char* err, size_t err_size) {
  return abi_call(err, err_size, [&] {
    check_gae_args(rewards, values, out, batch, steps, gamma, lambda);
    require_device();
    Stream stream;
    DeviceArray<float> r(count_of(batch, steps)), v(count_of(batch, steps + 1));
    r.upload(rewards, stream.get());
    v.upload(values, stream.get());
    check(launch_gae(r.get(), v.get(), r.get(), batch, steps, gamma, lambda, stream.get()), "GAE kernel launch");
    r.download(out, stream.get());
    stream.sync();
  });
}

DLM_CUDA_API int dlm_cuda_leave_one_out(const float* values, const int32_t* groups, float* out, int64_t batch,
                                        int64_t steps, char* err, size_t err_size) {
  return abi_call(err, err_size, [&] { dilemma::cuda::leave_one_out(values, groups, out, batch, steps); });
}

DLM_CUDA_API int dlm_cuda_advantage_alignment(const float* own, const float* others, float* out, int64_t batch,
                                              int64_t steps, float beta, float gamma, int include_current, int form,
                                              char* err, size_t err_size) {
  return abi_call(err, err_size, [&] {
    const dilemma::credit::AaForm f = check_aa_args(own, others, out, batch, steps, beta, gamma, form);
    require_device();
    Stream stream;
    DeviceArray<float> a(count_of(batch, steps)), b(count_of(batch, steps));
    a.upload(own, stream.get());
    b.upload(others, stream.get());
    check(launch_advantage_alignment(a.get(), b.get(), a.get(), batch, steps, beta, gamma, include_current != 0, f,
                                     stream.get()),
          "Advantage Alignment kernel launch");
    a.download(out, stream.get());
    stream.sync();
  });
}

DLM_CUDA_API int dlm_cuda_discounted_returns_device(const float* rewards, float* out, int64_t batch, int64_t steps,
                                                    float gamma, void* stream, char* err, size_t err_size) {
  return abi_call(err, err_size, [&] {
    check_returns_args(rewards, out, batch, steps, gamma);
    require_driver();
    check(launch_discounted_returns(rewards, out, batch, steps, gamma, as_stream(stream)),
          "discounted returns kernel launch");
  });
}

DLM_CUDA_API int dlm_cuda_gae_device(const float* rewards, const float* values, float* out, int64_t batch,
                                     int64_t steps, float gamma, float lambda, void* stream, char* err,
                                     size_t err_size) {
  return abi_call(err, err_size, [&] {
    check_gae_args(rewards, values, out, batch, steps, gamma, lambda);
    require_driver();
    check(launch_gae(rewards, values, out, batch, steps, gamma, lambda, as_stream(stream)), "GAE kernel launch");
  });
}

DLM_CUDA_API int dlm_cuda_advantage_alignment_device(const float* own, const float* others, float* out,
                                                     int64_t batch, int64_t steps, float beta, float gamma,
                                                     int include_current, int form, void* stream, char* err,
                                                     size_t err_size) {
  return abi_call(err, err_size, [&] {
    const dilemma::credit::AaForm f = check_aa_args(own, others, out, batch, steps, beta, gamma, form);
    require_driver();
    check(launch_advantage_alignment(own, others, out, batch, steps, beta, gamma, include_current != 0, f,
                                     as_stream(stream)),
          "Advantage Alignment kernel launch");
  });
}

}  // extern "C"
