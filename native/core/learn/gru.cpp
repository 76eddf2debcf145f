// GRU policy, the ONNX writer's gruPolicy: one GRU cell (PyTorch's gate
// convention) and a linear head. With H = hidden:
//   z  = σ(x Wz + h Uz + bz)
//   r  = σ(x Wr + h Ur + br)
//   n  = tanh(x Wn + bn + r ⊙ (h Un + bhn))
//   h' = (1 − z) ⊙ n + z ⊙ h
//   logits = h' Wo + bo
//
// Flat parameters, in the writer's GRU_WEIGHT_NAMES order, each row-major:
//   Wz, Wr, Wn [obs_dim, H], Uz, Ur, Un [H, H], bz, br, bn, bhn [H],
//   Wo [H, actions], bo [actions]
// Init: every parameter uniform in ±1/sqrt(H) (torch.nn.GRU), parameter
// index p drawn as rng::uniform(seed, p, 0, 0, kInit, 0).
//
// State: h [H] per environment; forward starts every sequence at h = 0.
// Cache per row (b, t): [h', z, r, n, h Un + bhn], 5H floats, everything
// backpropagation through time needs besides the observations.
#include <algorithm>
#include <vector>

#include "chunked.hpp"
#include "dense.hpp"
#include "model_kinds.hpp"

namespace dilemma::learn {
namespace {

enum Tensor { kWz, kWr, kWn, kUz, kUr, kUn, kBz, kBr, kBn, kBhn, kWo, kBo, kTensors };

class Gru final : public Model {
 public:
  Gru(int obs_dim, int actions, int hidden) : obs_dim_(obs_dim), actions_(actions), H_(hidden) {
    const int64_t X = obs_dim, H = hidden, A = actions;
    const int64_t sizes[kTensors] = {X * H, X * H, X * H, H * H, H * H, H * H, H, H, H, H, H * A, A};
    for (int i = 0; i < kTensors; ++i) {
      offset_[i] = num_params_;
      num_params_ += sizes[i];
    }
    macs_ = 3 * X * H + 3 * H * H + H * A;
  }

  std::string kind() const override { return "gru"; }
  int obs_dim() const override { return obs_dim_; }
  int actions() const override { return actions_; }
  int64_t num_params() const override { return num_params_; }
  int64_t state_size() const override { return H_; }

  void init(float* params, uint64_t seed) const override {
    init_uniform(params, 0, num_params_, inverse_sqrt(H_), seed);
  }

  // state_out may be state_in: a row's next state is copied out after its step.
  void step(const float* params, const float* obs, const float* state_in, int64_t n, float* logits,
            float* state_out) const override {
    const int64_t H = H_;
    parallel_items(n, macs_, [&](int64_t r0, int64_t r1) {
      std::vector<float> scratch(static_cast<size_t>(5 * H));
      float* z = scratch.data();
      for (int64_t r = r0; r < r1; ++r) {
        cell(params, obs + r * obs_dim_, state_in + r * H, z, z + H, z + 2 * H, z + 3 * H, z + 4 * H,
             logits + r * actions_);
        std::copy(z + 4 * H, z + 5 * H, state_out + r * H);
      }
    });
  }

  int64_t cache_size(int64_t B, int64_t T) const override { return B * T * 5 * H_; }

  // cache may be null when no backward follows.
  void forward(const float* params, const float* obs, int64_t B, int64_t T, float* logits,
               float* cache) const override {
    const int64_t H = H_;
    parallel_items(B, T * macs_, [&](int64_t b0, int64_t b1) {
      std::vector<float> zeros(static_cast<size_t>(H), 0.0f);
      // Without a cache, two rows' worth of [h', z, r, n, hn] taking turns.
      std::vector<float> scratch(cache ? 0 : static_cast<size_t>(10 * H));
      for (int64_t b = b0; b < b1; ++b) {
        const float* h = zeros.data();
        for (int64_t t = 0; t < T; ++t) {
          const int64_t r = b * T + t;
          float* c = cache ? cache + r * 5 * H : scratch.data() + (t & 1) * 5 * H;
          cell(params, obs + r * obs_dim_, h, c + H, c + 2 * H, c + 3 * H, c + 4 * H, c, logits + r * actions_);
          h = c;
        }
      }
    });
  }

  void backward(const float* params, const float* obs, const float* dlogits, int64_t B, int64_t T,
                const float* cache, float* grad) const override {
    const int64_t X = obs_dim_, H = H_, A = actions_;
    // Uᵀ and Woᵀ, so that the state gradient runs over contiguous rows.
    std::vector<float> ut(static_cast<size_t>(3 * H * H + A * H));
    for (int g = 0; g < 3; ++g) dense::transpose(params + offset_[kUz + g], H, H, ut.data() + g * H * H);
    float* wot = ut.data() + 3 * H * H;
    dense::transpose(params + offset_[kWo], H, A, wot);
    auto make_worker = [&]() {
      return [&, buf = std::vector<float>(static_cast<size_t>(7 * H))](int64_t s0, int64_t s1, float* g) mutable {
        float* dh = buf.data();         // dL/dh' at step t
        float* dh_prev = dh + H;        // dL/dh at step t, i.e. dL/dh' at t - 1
        float* da = dh + 2 * H;         // pre-activation gradients of z, r, n: [3, H]
        float* dhn = dh + 5 * H;        // gradient of h Un + bhn
        const float* zeros = dh + 6 * H;
        dense::zero(buf.data() + 6 * H, H);
        for (int64_t b = s0; b < s1; ++b) {
          dense::zero(dh, H);
          for (int64_t t = T - 1; t >= 0; --t) {
            const int64_t row = b * T + t;
            const float* c = cache + row * 5 * H;
            const float* hp = t > 0 ? c - 5 * H : zeros;
            const float* x = obs + row * X;
            const float* dl = dlogits + row * A;
            dense::add_outer(c, H, dl, A, g + offset_[kWo]);
            dense::add(dl, A, g + offset_[kBo]);
            dense::add_xw(dl, A, wot, H, dh);
            gate_gradients(H, dh, c, hp, da, da + H, da + 2 * H, dhn, dh_prev);
            for (int k = 0; k < 3; ++k) {
              dense::add_outer(x, X, da + k * H, H, g + offset_[kWz + k]);
              dense::add(da + k * H, H, g + offset_[kBz + k]);
            }
            dense::add(dhn, H, g + offset_[kBhn]);
            if (t == 0) break;
            const float* dU[3] = {da, da + H, dhn};
            for (int k = 0; k < 3; ++k) {
              dense::add_outer(hp, H, dU[k], H, g + offset_[kUz + k]);
              dense::add_xw(dU[k], H, ut.data() + k * H * H, H, dh_prev);
            }
            std::swap(dh, dh_prev);
          }
        }
      };
    };
    chunked_gradient(B, T, num_params_, T * 2 * macs_, grad, make_worker);
  }

 private:
  // One step for one row: the gates into z, r, n, hn (each [H]), the next
  // state into h_out (not h) and the logits.
  void cell(const float* p, const float* x, const float* h, float* z, float* r, float* n, float* hn, float* h_out,
            float* logits) const {
    const int64_t X = obs_dim_, H = H_;
    dense::affine(x, X, p + offset_[kWz], p + offset_[kBz], H, z);
    dense::add_xw(h, H, p + offset_[kUz], H, z);
    dense::affine(x, X, p + offset_[kWr], p + offset_[kBr], H, r);
    dense::add_xw(h, H, p + offset_[kUr], H, r);
    dense::affine(x, X, p + offset_[kWn], p + offset_[kBn], H, n);
    dense::affine(h, H, p + offset_[kUn], p + offset_[kBhn], H, hn);
    gates(H, z, r, n, hn, h, h_out);
    dense::affine(h_out, H, p + offset_[kWo], p + offset_[kBo], actions_, logits);
  }

  // From dh = dL/dh' and the cache row c = [h', z, r, n, hn]: the gradients
  // of the pre-activations of z, r and n (daz, dar, dan), of hn, and the
  // direct part z ⊙ dh of dL/dh for the previous state hp.
  static void gate_gradients(int64_t H, const float* __restrict dh, const float* __restrict c,
                             const float* __restrict hp, float* __restrict daz, float* __restrict dar,
                             float* __restrict dan, float* __restrict dhn, float* __restrict dh_prev) {
    const float *z = c + H, *r = c + 2 * H, *n = c + 3 * H, *hn = c + 4 * H;
    for (int64_t j = 0; j < H; ++j) {
      const float dn = dh[j] * (1.0f - z[j]) * (1.0f - n[j] * n[j]);
      daz[j] = dh[j] * (hp[j] - n[j]) * z[j] * (1.0f - z[j]);
      dar[j] = dn * hn[j] * r[j] * (1.0f - r[j]);
      dan[j] = dn;
      dhn[j] = dn * r[j];
      dh_prev[j] = dh[j] * z[j];
    }
  }

  // On entry z, r and n hold x Wz + h Uz + bz, x Wr + h Ur + br and x Wn + bn.
  // Restrict-qualified so that the loop vectorises.
  static void gates(int64_t H, float* __restrict z, float* __restrict r, float* __restrict n,
                    const float* __restrict hn, const float* __restrict h, float* __restrict h_out) {
    for (int64_t j = 0; j < H; ++j) {
      z[j] = dense::sigmoid(z[j]);
      r[j] = dense::sigmoid(r[j]);
      n[j] = dense::tanh(n[j] + r[j] * hn[j]);
      h_out[j] = (1.0f - z[j]) * n[j] + z[j] * h[j];
    }
  }

  int obs_dim_, actions_, H_;
  int64_t offset_[kTensors] = {};
  int64_t num_params_ = 0, macs_ = 0;
};

}  // namespace

std::shared_ptr<const Model> make_gru(int obs_dim, int actions, const Params& params) {
  const int hidden = params.integer(spec_of(model_param_specs("gru"), "hidden"));
  const int64_t X = obs_dim, H = hidden, A = actions;
  check_param_count(params, "gru", 3 * X * H + 3 * H * H + 4 * H + H * A + A);
  return std::make_shared<Gru>(obs_dim, actions, hidden);
}

}  // namespace dilemma::learn
