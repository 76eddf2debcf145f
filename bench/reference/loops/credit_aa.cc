// Advantage Alignment credits over [batch, steps], discounted form, one
// thread: A*_t = A1_t + beta * gamma * S_t * A2_t with S_0 = 0,
// S_{t+1} = gamma (S_t + A1_t), float32 arithmetic in the engine's order.
//
// The recursion along a row is a chain of dependent multiply-adds, so one row
// at a time waits on latency. Four rows advance together instead: each row
// still sees exactly its own sequence of operations (the results are those
// of the row-by-row loop, bit for bit), and the independent chains fill the
// pipeline. Four measured about as fast as eight and faster than sixteen or
// than 8 × 4 tiles transposed for vector arithmetic across rows: at this
// point one core is close to streaming the three arrays.
#include <cstdint>

#include "args.hpp"
#include "registry.hpp"

namespace dilemma::reference {
namespace {

constexpr int kLanes = 4;

void aa_rows(const float* own, const float* others, float* out, int64_t batch, int64_t steps, float beta,
             float gamma) {
  int64_t b = 0;
  for (; b + kLanes <= batch; b += kLanes) {
    float s[kLanes] = {};
    const int64_t base = b * steps;
    for (int64_t t = 0; t < steps; ++t) {
      for (int k = 0; k < kLanes; ++k) {
        const int64_t i = base + k * steps + t;
        const float a = own[i];
        const float w = gamma * s[k];
        s[k] = gamma * (s[k] + a);
        out[i] = a + beta * w * others[i];
      }
    }
  }
  for (; b < batch; ++b) {
    float s = 0.0f;
    for (int64_t t = 0; t < steps; ++t) {
      const int64_t i = b * steps + t;
      const float a = own[i];
      const float w = gamma * s;
      s = gamma * (s + a);
      out[i] = a + beta * w * others[i];
    }
  }
}

// advantageAlignment(own, others, out, batch, steps, beta, gamma): Float32Arrays of batch * steps.
Napi::Value advantage_alignment(const Napi::CallbackInfo& info) {
  const int64_t batch = integer_arg(info[3], "batch", 1, int64_t{1} << 31);
  const int64_t steps = integer_arg(info[4], "steps", 1, int64_t{1} << 31);
  const int64_t n = batch * steps;
  const float* own = array_arg<float>(info[0], "own", n);
  const float* others = array_arg<float>(info[1], "others", n);
  float* out = array_arg<float>(info[2], "out", n);
  const float beta = static_cast<float>(number_arg(info[5], "beta", -1e30, 1e30));
  const float gamma = static_cast<float>(number_arg(info[6], "gamma", 0, 1));
  aa_rows(own, others, out, batch, steps, beta, gamma);
  return info.Env().Undefined();
}

}  // namespace

void register_credit_aa(Napi::Env env, Napi::Object exports) {
  exports.Set("advantageAlignment", Napi::Function::New(env, advantage_alignment, "advantageAlignment"));
}

}  // namespace dilemma::reference
