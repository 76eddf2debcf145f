// Policy-loss entry points of the C ABI: the argument checks of
// native/core/learn/loss.cpp (same rules, same messages), copies between
// host and device, and the scratch memory of the kernels (loss_kernels.cu).
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "api_checks.cuh"
#include "device_memory.cuh"
#include "dilemma_cuda.h"
#include "loss_launch.cuh"
#include "status.cuh"

namespace dilemma::cuda {

namespace {

static_assert(DLM_CUDA_LOSS_REINFORCE == static_cast<int>(learn::LossObjective::kReinforce) &&
                  DLM_CUDA_LOSS_PPO == static_cast<int>(learn::LossObjective::kPpo),
              "the ABI's objectives are dilemma::learn::LossObjective");

constexpr double kMinNormalizer = 1e-30, kMaxNormalizer = 1e30;

std::string at(const char* name, int64_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

void check_terms(const dlm_cuda_loss_terms& t) {
  if (t.objective != DLM_CUDA_LOSS_REINFORCE && t.objective != DLM_CUDA_LOSS_PPO)
    invalid("objective must be reinforce or ppo");
  if (!(t.ratio_cap > 0.0f))
    invalid("ratio_cap must be a number > 0 (+inf for no cap), got " + number_text(t.ratio_cap));
  if (!(t.clip >= 0.0f && t.clip < 1.0f)) invalid("clip must be a finite number in [0, 1), got " + number_text(t.clip));
  if (!std::isfinite(t.entropy_coef))
    invalid("entropy_coef must be a finite number, got " + number_text(t.entropy_coef));
  if (!(std::isfinite(t.kl_coef) && t.kl_coef >= 0.0f))
    invalid("kl_coef must be a finite number >= 0, got " + number_text(t.kl_coef));
  switch (t.normalize) {
    case DLM_CUDA_NORMALIZE_MASK:
    case DLM_CUDA_NORMALIZE_ROWS:
      break;
    case DLM_CUDA_NORMALIZE_CONSTANT:
      if (!(t.normalizer >= kMinNormalizer && t.normalizer <= kMaxNormalizer))
        invalid("normalizer must be a number in [" + number_text(kMinNormalizer) + ", " +
                number_text(kMaxNormalizer) + "], got " + number_text(t.normalizer));
      break;
    default:
      invalid("normalize must be mask, rows or constant");
  }
}

// Shapes, pointers and terms: what both entries check.
LossInputs check_args(const float* logits, int64_t rows, int32_t A, const int32_t* actions, const float* credits,
                      const uint8_t* mask, const float* behavior_logp, const float* ref_logits,
                      const float* ref_logp, const dlm_cuda_loss_terms* terms, float* dlogits,
                      const dlm_cuda_loss_result* result) {
  if (rows < 1) invalid("N must be at least 1, got " + std::to_string(rows));
  if (A < 1) invalid("A must be at least 1, got " + std::to_string(A));
  // One block per kLossRows rows: the grid's limit is far beyond any memory.
  if (rows > INT32_MAX) invalid("N must be at most " + std::to_string(INT32_MAX) + ", got " + std::to_string(rows));
  if (rows > kMaxElements / A) invalid("logits: N * A is too large");
  check_ptr(logits, "logits");
  check_ptr(actions, "actions");
  check_ptr(credits, "credits");
  check_ptr(dlogits, "dlogits");
  check_ptr(terms, "terms");
  check_ptr(result, "result");
  check_terms(*terms);
  if (terms->objective == DLM_CUDA_LOSS_PPO && behavior_logp == nullptr)
    invalid("behavior_logp must not be null for the PPO objective (its ratio needs the behaviour policy)");
  if (ref_logits && ref_logp) invalid("ref_logits and ref_logp are alternatives: give at most one");
  if (terms->kl_coef > 0.0f && !ref_logits && !ref_logp)
    invalid("kl_coef > 0 needs a reference policy: ref_logits or ref_logp");
  LossInputs in{};
  in.logits = logits;
  in.rows = rows;
  in.A = A;
  in.actions = actions;
  in.credits = credits;
  in.mask = mask;
  in.behavior_logp = behavior_logp;
  in.ref_logits = ref_logits;
  in.ref_logp = ref_logp;
  in.dlogits = dlogits;
  in.row = learn::LossRowOptions{static_cast<learn::LossObjective>(terms->objective), terms->ratio_cap, terms->clip,
                                 terms->entropy_coef, terms->kl_coef};
  in.normalize = terms->normalize;
  in.normalizer = terms->normalizer;
  return in;
}

void check_row_finite(const float* row, int A, const char* name, int64_t i) {
  for (int k = 0; k < A; ++k)
    if (!std::isfinite(row[k]))
      invalid(std::string(name) + " row " + std::to_string(i) + " must be finite, got " + number_text(row[k]) +
              " at column " + std::to_string(k));
}

void check_scalar_finite(const float* values, const char* name, int64_t i) {
  if (!std::isfinite(values[i]))
    invalid(at(name, i) + " must be finite on a live row, got " + number_text(values[i]));
}

// The CPU's value checks, in its order, so that the same row is reported.
void check_values(const LossInputs& in) {
  for (int64_t i = 0; i < in.rows; ++i) {
    if (in.mask) {
      if (in.mask[i] > 1) invalid(at("mask", i) + " must be 0 or 1, got " + std::to_string(in.mask[i]));
      if (in.mask[i] == 0) continue;
    }
    const int32_t a = in.actions[i];
    if (a == -1) continue;
    if (a < 0 || a >= in.A)
      invalid(at("actions", i) + " must be -1 (padding) or in [0, " + std::to_string(in.A) + "), got " +
              std::to_string(a));
    check_scalar_finite(in.credits, "credits", i);
    if (in.behavior_logp) check_scalar_finite(in.behavior_logp, "behavior_logp", i);
    if (in.ref_logp) check_scalar_finite(in.ref_logp, "ref_logp", i);
    check_row_finite(in.logits + i * in.A, in.A, "logits", i);
    if (in.ref_logits) check_row_finite(in.ref_logits + i * in.A, in.A, "ref_logits", i);
  }
}

template <typename T>
DeviceArray<T> upload_optional(const T* host, size_t count, cudaStream_t stream) {
  DeviceArray<T> d(host ? count : 0);
  if (host) d.upload(host, stream);
  return d;
}

void policy_loss_host(const float* logits, int64_t rows, int32_t A, const int32_t* actions, const float* credits,
                      const uint8_t* mask, const float* behavior_logp, const float* ref_logits,
                      const float* ref_logp, const dlm_cuda_loss_terms* terms, float* dlogits,
                      dlm_cuda_loss_result* result) {
  const LossInputs host = check_args(logits, rows, A, actions, credits, mask, behavior_logp, ref_logits, ref_logp,
                                     terms, dlogits, result);
  check_values(host);
  require_device();
  Stream stream;
  const cudaStream_t s = stream.get();
  const size_t n = static_cast<size_t>(rows), elements = n * static_cast<size_t>(A);
  DeviceArray<float> z(elements);
  z.upload(logits, s);
  DeviceArray<int32_t> a(n);
  a.upload(actions, s);
  DeviceArray<float> c(n);
  c.upload(credits, s);
  DeviceArray<uint8_t> m = upload_optional(mask, n, s);
  DeviceArray<float> behavior = upload_optional(behavior_logp, n, s), ref_z = upload_optional(ref_logits, elements, s),
                     ref_lp = upload_optional(ref_logp, n, s);
  DeviceArray<char> scratch(loss_scratch_bytes(rows));
  DeviceArray<dlm_cuda_loss_result> res(1);

  LossInputs dev = host;
  dev.logits = z.get();
  dev.actions = a.get();
  dev.credits = c.get();
  dev.mask = mask ? m.get() : nullptr;
  dev.behavior_logp = behavior_logp ? behavior.get() : nullptr;
  dev.ref_logits = ref_logits ? ref_z.get() : nullptr;
  dev.ref_logp = ref_logp ? ref_lp.get() : nullptr;
  // In place: the gradient overwrites the device copy of the logits.
  dev.dlogits = z.get();
  check(launch_policy_loss(dev, scratch.get(), res.get(), s), "policy loss kernel launch");
  z.download(dlogits, s);
  res.download(result, s);
  stream.sync();
}

void policy_loss_device(const float* logits, int64_t rows, int32_t A, const int32_t* actions, const float* credits,
                        const uint8_t* mask, const float* behavior_logp, const float* ref_logits,
                        const float* ref_logp, const dlm_cuda_loss_terms* terms, float* dlogits,
                        dlm_cuda_loss_result* result, cudaStream_t stream) {
  const LossInputs in = check_args(logits, rows, A, actions, credits, mask, behavior_logp, ref_logits, ref_logp, terms,
                                   dlogits, result);
  require_driver();
  void* scratch = nullptr;
  check(cudaMallocAsync(&scratch, loss_scratch_bytes(rows), stream), "cudaMallocAsync");
  const cudaError_t launched = launch_policy_loss(in, scratch, result, stream);
  // Freed in stream order, after the kernels; also after a failed launch.
  const cudaError_t freed = cudaFreeAsync(scratch, stream);
  check(launched, "policy loss kernel launch");
  check(freed, "cudaFreeAsync");
}

}  // namespace

}  // namespace dilemma::cuda

using namespace dilemma::cuda;

extern "C" {

DLM_CUDA_API int dlm_cuda_policy_loss(const float* logits, int64_t rows, int32_t A, const int32_t* actions,
                                      const float* credits, const uint8_t* mask, const float* behavior_logp,
                                      const float* ref_logits, const float* ref_logp,
                                      const dlm_cuda_loss_terms* terms, float* dlogits,
                                      dlm_cuda_loss_result* result, char* err, size_t err_size) {
  return abi_call(err, err_size, [&] {
    policy_loss_host(logits, rows, A, actions, credits, mask, behavior_logp, ref_logits, ref_logp, terms, dlogits,
                     result);
  });
}

DLM_CUDA_API int dlm_cuda_policy_loss_device(const float* logits, int64_t rows, int32_t A, const int32_t* actions,
                                             const float* credits, const uint8_t* mask, const float* behavior_logp,
                                             const float* ref_logits, const float* ref_logp,
                                             const dlm_cuda_loss_terms* terms, float* dlogits,
                                             dlm_cuda_loss_result* result, void* stream, char* err,
                                             size_t err_size) {
  return abi_call(err, err_size, [&] {
    policy_loss_device(logits, rows, A, actions, credits, mask, behavior_logp, ref_logits, ref_logp, terms, dlogits,
                       result, as_stream(stream));
  });
}

}  // extern "C"
