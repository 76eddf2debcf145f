// One Advantage Alignment training iteration on the IPD, tabular memory-1
// softmax policy in self-play: the work of bench/baselines/train-ipd.ts
// (PlainIpdTrainer.step) and of the engine's Trainer with a tabular policy,
// one thread, with nothing stored that the math does not need.
//
// The leave-one-out baseline over the whole batch needs every episode's
// return before any credit exists, so the iteration is two sweeps over the
// batch and no more:
//   1. play each episode (state in registers), discount its returns
//      backwards, and add them to the per-round column sums; keep per row
//      only the return (float) and a one-byte code state * 2 + action;
//   2. per episode, advantages -> aligned credits -> the credit summed per
//      (state, action); the table gradient follows from those ten sums,
//      since d log pi(a|s) / dz_s = onehot(a) - softmax(z_s).
// Then one bias-corrected Adam step. Precision follows the TypeScript
// baseline (double accumulation, float32 storage), so with its xorshift
// draws the two agree to rounding.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "args.hpp"
#include "draws.hpp"
#include "registry.hpp"
#include "rng.hpp"

namespace dilemma::reference {
namespace {

constexpr int kStates = 5, kActions = 2, kParams = kStates * kActions;
constexpr float kPayoff[8] = {3, 3, 0, 5, 5, 0, 1, 1};  // [2 * joint + seat]

class IpdTrainer : public Napi::ObjectWrap<IpdTrainer> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "IpdTrainer",
                       {InstanceMethod("step", &IpdTrainer::step), InstanceMethod("params", &IpdTrainer::params),
                        InstanceMethod("metrics", &IpdTrainer::metrics)});
  }

  // new IpdTrainer({ batch, seed, philox, rounds, gamma, beta, lr, beta1, beta2, eps })
  explicit IpdTrainer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<IpdTrainer>(info) {
    if (!info[0].IsObject()) throw argument_error(info.Env(), "options must be an object");
    const Napi::Object o = info[0].As<Napi::Object>();
    auto opt = [&](const char* key, double fallback, double lo, double hi) {
      const Napi::Value v = o.Get(key);
      return v.IsUndefined() ? fallback : number_arg(v, key, lo, hi);
    };
    batch_ = integer_arg(o.Get("batch"), "batch", 1, 1 << 22);
    rounds_ = static_cast<int>(o.Get("rounds").IsUndefined() ? 10 : integer_arg(o.Get("rounds"), "rounds", 1, 1000));
    seed_ = static_cast<uint64_t>(integer_arg(o.Get("seed"), "seed", 0, (int64_t{1} << 53) - 1));
    philox_ = o.Get("philox").ToBoolean();
    gamma_ = opt("gamma", 0.9, 0, 1);
    beta_ = opt("beta", 0.5, -1e9, 1e9);
    lr_ = opt("lr", 0.05, 0, 1e9);
    beta1_ = opt("beta1", 0.9, 0, 1 - 1e-12);
    beta2_ = opt("beta2", 0.999, 0, 1 - 1e-12);
    eps_ = opt("eps", 1e-8, 1e-30, 1);
    // The TypeScript baseline's seeding: an odd constant keeps small seeds apart, | 1 avoids xorshift's fixed point.
    xorshift_.s = ((static_cast<uint32_t>(seed_) ^ 0x5bd1e995u) * 0x9e3779b1u) | 1u;
    // Six bytes per row and seat: a bound well below what a benchmark asks keeps allocation from failing.
    if (batch_ * rounds_ > (int64_t{1} << 26)) throw argument_error(info.Env(), "batch * rounds must be at most 2^26");
    const size_t rows = static_cast<size_t>(batch_ * rounds_);
    code_[0].resize(rows);
    code_[1].resize(rows);
    ret_[0].resize(rows);
    ret_[1].resize(rows);
    sums_[0].resize(rounds_);
    sums_[1].resize(rounds_);
  }

 private:
  // The engine's per-iteration rollout seed (Trainer::iteration_seed(0) in
  // native/core/learn/trainer.cpp): Philox of (iteration, purpose 0) under the run's seed.
  uint64_t rollout_seed() const {
    const rng::U32x4 r = rng::philox4x32(seed_, static_cast<uint32_t>(iteration_),
                                         static_cast<uint32_t>(iteration_ >> 32), 0, rng::kInit << 24);
    return (static_cast<uint64_t>(r.v[1]) << 32) | r.v[0];
  }

  // Sweep 1: play, discount, column sums. draw(b, t, seat) gives the seat's uniform.
  template <typename Draw>
  void play(const double* p0, Draw&& draw) {
    const int T = rounds_;
    std::vector<double>& s0 = sums_[0];
    std::vector<double>& s1 = sums_[1];
    std::fill(s0.begin(), s0.end(), 0.0);
    std::fill(s1.begin(), s1.end(), 0.0);
    float r0[1000], r1[1000];
    double total0 = 0, total1 = 0;
    int64_t coop0 = 0, coop1 = 0;
    for (int64_t b = 0; b < batch_; ++b) {
      uint8_t* c0 = code_[0].data() + b * T;
      uint8_t* c1 = code_[1].data() + b * T;
      int st0 = 0, st1 = 0;
      for (int t = 0; t < T; ++t) {
        const int m0 = draw(b, t, 0) < p0[st0] ? 0 : 1;
        const int m1 = draw(b, t, 1) < p0[st1] ? 0 : 1;
        const int joint = 2 * m0 + m1;
        c0[t] = static_cast<uint8_t>(st0 * 2 + m0);
        c1[t] = static_cast<uint8_t>(st1 * 2 + m1);
        r0[t] = kPayoff[2 * joint];
        r1[t] = kPayoff[2 * joint + 1];
        coop0 += 1 - m0;
        coop1 += 1 - m1;
        st0 = 1 + joint;
        st1 = 1 + 2 * m1 + m0;
      }
      float* g0 = ret_[0].data() + b * T;
      float* g1 = ret_[1].data() + b * T;
      double a0 = 0, a1 = 0;
      for (int t = T - 1; t >= 0; --t) {
        a0 = r0[t] + gamma_ * a0;
        a1 = r1[t] + gamma_ * a1;
        g0[t] = static_cast<float>(a0);
        g1[t] = static_cast<float>(a1);
        s0[t] += g0[t];
        s1[t] += g1[t];
      }
      for (int t = 0; t < T; ++t) {
        total0 += r0[t];
        total1 += r1[t];
      }
    }
    mean_return_[0] = total0 / batch_;
    mean_return_[1] = total1 / batch_;
    const double rows = static_cast<double>(batch_ * T);
    action0_rate_[0] = coop0 / rows;
    action0_rate_[1] = coop1 / rows;
  }

  // Sweep 2: advantages and credits per episode, summed per (state, action) code.
  void credit_sums(double* by_code) const {
    const int T = rounds_;
    const double others = batch_ > 1 ? static_cast<double>(batch_ - 1) : 0.0;
    const double* s0 = sums_[0].data();
    const double* s1 = sums_[1].data();
    const double bg = beta_ * gamma_;
    for (int k = 0; k < kParams; ++k) by_code[k] = 0;
    for (int64_t b = 0; b < batch_; ++b) {
      const uint8_t* c0 = code_[0].data() + b * T;
      const uint8_t* c1 = code_[1].data() + b * T;
      const float* g0 = ret_[0].data() + b * T;
      const float* g1 = ret_[1].data() + b * T;
      double w0 = 0, w1 = 0;  // S_t = sum_{k<t} gamma^{t-k} A_k, carried forward
      for (int t = 0; t < T; ++t) {
        const double x0 = g0[t], x1 = g1[t];
        const double a0 = static_cast<float>(others > 0 ? x0 - (s0[t] - x0) / others : x0);
        const double a1 = static_cast<float>(others > 0 ? x1 - (s1[t] - x1) / others : x1);
        by_code[c0[t]] += static_cast<float>(a0 + bg * w0 * a1);
        by_code[c1[t]] += static_cast<float>(a1 + bg * w1 * a0);
        w0 = gamma_ * (w0 + a0);
        w1 = gamma_ * (w1 + a1);
      }
    }
  }

  Napi::Value step(const Napi::CallbackInfo& info) {
    double p0[kStates];
    for (int s = 0; s < kStates; ++s)
      p0[s] = 1.0 / (1.0 + std::exp(static_cast<double>(table_[s * 2 + 1]) - static_cast<double>(table_[s * 2])));
    if (philox_) {
      const uint64_t key = rollout_seed();
      play(p0, [key](int64_t b, int t, int seat) {
        return static_cast<double>(rng::uniform(key, static_cast<uint32_t>(b), 0, static_cast<uint32_t>(t),
                                                rng::kSample, static_cast<uint32_t>(seat)));
      });
    } else {
      Xorshift32& x = xorshift_;
      play(p0, [&x](int64_t, int, int) { return x.next(); });
    }
    double by_code[kParams];
    credit_sums(by_code);

    // L = -sum_i A*_i log pi(a_i | s_i) / N: dL/dz_{s,0} = -(C_{s,0} - p0_s (C_{s,0} + C_{s,1})) / N, dz_{s,1} = -dz_{s,0}.
    const double n = 2.0 * static_cast<double>(batch_ * rounds_);
    double grad[kParams];
    for (int s = 0; s < kStates; ++s) {
      const double c0 = by_code[s * 2], c1 = by_code[s * 2 + 1];
      grad[s * 2] = -(c0 - p0[s] * (c0 + c1)) / n;
      grad[s * 2 + 1] = -grad[s * 2];
    }
    const int64_t t = ++adam_t_;
    const double k1 = 1 - std::pow(beta1_, static_cast<double>(t)), k2 = 1 - std::pow(beta2_, static_cast<double>(t));
    for (int i = 0; i < kParams; ++i) {
      m_[i] = beta1_ * m_[i] + (1 - beta1_) * grad[i];
      v_[i] = beta2_ * v_[i] + (1 - beta2_) * grad[i] * grad[i];
      table_[i] = static_cast<float>(table_[i] - lr_ * (m_[i] / k1) / (std::sqrt(v_[i] / k2) + eps_));
    }
    ++iteration_;
    return info.Env().Undefined();
  }

  Napi::Value params(const Napi::CallbackInfo& info) {
    auto out = Napi::Float32Array::New(info.Env(), kParams);
    for (int i = 0; i < kParams; ++i) out[i] = table_[i];
    return out;
  }

  // The last iteration's mean episode return and share of action 0, per seat.
  Napi::Value metrics(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto pair = [&](const double* x) {
      auto a = Napi::Array::New(env, 2);
      a.Set(0u, x[0]);
      a.Set(1u, x[1]);
      return a;
    };
    Napi::Object m = Napi::Object::New(env);
    m.Set("meanReturn", pair(mean_return_));
    m.Set("action0Rate", pair(action0_rate_));
    return m;
  }

  int64_t batch_ = 1, iteration_ = 0, adam_t_ = 0;
  int rounds_ = 10;
  uint64_t seed_ = 0;
  bool philox_ = false;
  double gamma_ = 0.9, beta_ = 0.5, lr_ = 0.05, beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-8;
  Xorshift32 xorshift_{1};
  float table_[kParams] = {};
  double m_[kParams] = {}, v_[kParams] = {};
  double mean_return_[2] = {}, action0_rate_[2] = {};
  std::vector<uint8_t> code_[2];
  std::vector<float> ret_[2];
  std::vector<double> sums_[2];
};

}  // namespace

void register_ipd_train(Napi::Env env, Napi::Object exports) { exports.Set("IpdTrainer", IpdTrainer::define(env)); }

}  // namespace dilemma::reference
