// Multilayer perceptron policy, the ONNX writer's mlpPolicy.
//
// Flat parameters, with widths w_0 = obs_dim, w_i = hidden[i - 1],
// w_{L+1} = actions for L = hidden.length hidden layers:
//   W0 [w_0, w_1], b0 [w_1], W1 [w_1, w_2], b1 [w_2], ..., WL [w_L, actions], bL [actions]
// concatenated in that order, each row-major (W[k * out + j] connects input k
// to output j). Layer i computes x Wi + bi, followed by the activation (tanh
// or relu) on every hidden layer, not on the logits; hidden [] is a linear
// model.
//
// Init: Wi and bi uniform in ±1/sqrt(w_i) (PyTorch's nn.Linear), parameter
// index p drawn as rng::uniform(seed, p, 0, 0, kInit, 0).
//
// Cache: each row's hidden activations (after the nonlinearity), layer after
// layer: [B, T, w_1 + ... + w_L]. Both derivatives come from the output:
// tanh' = 1 - y², relu' = [y > 0].
#include <algorithm>
#include <utility>
#include <vector>

#include "chunked.hpp"
#include "dense.hpp"
#include "mlp_row.hpp"
#include "model_kinds.hpp"

namespace dilemma::learn {
namespace {

#if !DLM_DENSE_BLOCKS
#error "the dense kernels need GCC or Clang vector extensions"
#endif
// Only "avx2": it does not enable FMA, so no multiply and add can fuse and
// round differently from the baseline build.
#if defined(__x86_64__) || defined(__i386__)
#define DLM_AVX2 __attribute__((target("avx2")))
#else
#define DLM_AVX2
#endif

class Mlp final : public Model {
 public:
  Mlp(std::vector<int> widths, bool relu) : widths_(std::move(widths)), relu_(relu) {
    const size_t layers = widths_.size() - 1;
    shape_.layers = static_cast<int>(layers);
    shape_.relu = relu;
    for (size_t i = 0; i < widths_.size(); ++i) shape_.widths[i] = widths_[i];
    for (size_t i = 0; i < layers; ++i) {
      w_offset_.push_back(mlp_weight_offset(shape_, static_cast<int>(i)));
      b_offset_.push_back(mlp_bias_offset(shape_, static_cast<int>(i)));
      macs_ += static_cast<int64_t>(widths_[i]) * widths_[i + 1];
      gt_offset_.push_back(gt_size_);
      gt_size_ += (widths_[i] - widths_[i] % dense::blocks::kLanes) * (widths_[i + 1] % dense::blocks::kLanes);
    }
    for (int w : widths_) max_width_ = std::max(max_width_, w);
    num_params_ = mlp_param_count(shape_);
    for (size_t i = 1; i < layers; ++i) {
      h_offset_.push_back(hidden_total_);
      hidden_total_ += widths_[i];
      max_hidden_ = std::max(max_hidden_, widths_[i]);
      wt_offset_.push_back(wt_size_);
      wt_size_ += static_cast<int64_t>(widths_[i]) * widths_[i + 1];
    }
  }

  std::string kind() const override { return "mlp"; }
  int obs_dim() const override { return widths_.front(); }
  int actions() const override { return widths_.back(); }
  int64_t num_params() const override { return num_params_; }
  const MlpShape* mlp_shape() const override { return &shape_; }

  void init(float* params, uint64_t seed) const override {
    for (size_t i = 0; i + 1 < widths_.size(); ++i) {
      const float bound = inverse_sqrt(widths_[i]);
      init_uniform(params, w_offset_[i], static_cast<int64_t>(widths_[i]) * widths_[i + 1], bound, seed);
      init_uniform(params, b_offset_[i], widths_[i + 1], bound, seed);
    }
  }

  void step(const float* params, const float* obs, const float*, int64_t n, float* logits, float*) const override {
    run_rows(params, obs, n, logits, nullptr);
  }

  int64_t cache_size(int64_t B, int64_t T) const override { return B * T * hidden_total_; }

  // cache may be null when no backward follows.
  void forward(const float* params, const float* obs, int64_t B, int64_t T, float* logits,
               float* cache) const override {
    run_rows(params, obs, B * T, logits, cache);
  }

  void backward(const float* params, const float* obs, const float* dlogits, int64_t B, int64_t T,
                const float* cache, float* grad) const override {
    const int layers = static_cast<int>(widths_.size()) - 1;
    // Wiᵀ for i >= 1, so that the input gradient runs over contiguous rows.
    std::vector<float> wt(static_cast<size_t>(wt_size_));
    for (int i = 1; i < layers; ++i)
      dense::transpose(params + w_offset_[i], widths_[i], widths_[i + 1], wt.data() + wt_offset_[i - 1]);
    auto make_worker = [&]() {
      return [&, s = BackwardScratch(*this)](int64_t s0, int64_t s1, float* g) mutable {
        if (use_avx2())
          backward_chunk_avx2(obs, dlogits, T, cache, wt.data(), s0, s1, g, s);
        else
          backward_chunk_base(obs, dlogits, T, cache, wt.data(), s0, s1, g, s);
      };
    };
    chunked_gradient(B, T, num_params_, T * 2 * macs_, grad, make_worker);
  }

 private:
  static bool use_avx2() {
#if defined(__x86_64__) || defined(__i386__)
    static const bool avx2 = __builtin_cpu_supports("avx2");
    return avx2 && dense::blocks::avx2_allowed().load(std::memory_order_relaxed);
#else
    return false;
#endif
  }

  // Rows are independent: any split over threads gives the same bits.
  void run_rows(const float* params, const float* obs, int64_t n, float* logits, float* cache) const {
    parallel_items(n, macs_, [&](int64_t r0, int64_t r1) {
      if (use_avx2())
        forward_rows_avx2(params, obs, r0, r1, logits, cache);
      else
        forward_rows_base(params, obs, r0, r1, logits, cache);
    });
  }

  void forward_rows_base(const float* params, const float* obs, int64_t r0, int64_t r1, float* logits,
                         float* cache) const {
    forward_rows<dense::blocks::Base>(params, obs, r0, r1, logits, cache);
  }
  DLM_AVX2 void forward_rows_avx2(const float* params, const float* obs, int64_t r0, int64_t r1, float* logits,
                                  float* cache) const {
    forward_rows<dense::blocks::Avx2>(params, obs, r0, r1, logits, cache);
  }

  // Rows [r0, r1) a block of 8 at a time, layer after layer. Wide layers run
  // one row at a time over the row's nonzero inputs with 32 columns held in
  // registers; the columns past the last multiple of 8 (all of a narrow
  // logits layer) run with 8 rows in the lanes.
  template <class Isa>
  DLM_DENSE_INLINE void forward_rows(const float* params, const float* obs, int64_t r0, int64_t r1, float* logits,
                                     float* cache) const {
    namespace bl = dense::blocks;
    const int layers = static_cast<int>(widths_.size()) - 1;
    const int64_t obs_dim = widths_.front(), A = widths_.back(), H = max_hidden_;
    thread_local std::vector<float> floats;
    thread_local std::vector<int32_t> ints;
    const size_t need = static_cast<size_t>(bl::kLanes * (max_width_ + 2 * H));
    if (floats.size() < need) floats.resize(need);
    if (ints.size() < static_cast<size_t>(max_width_)) ints.resize(static_cast<size_t>(max_width_));
    float* xt = floats.data();
    float* hidden = xt + bl::kLanes * max_width_;
    int32_t* idx = ints.data();
    for (int64_t b0 = r0; b0 < r1; b0 += bl::kLanes) {
      const int64_t n = std::min<int64_t>(bl::kLanes, r1 - b0);
      const float* x = obs + b0 * obs_dim;
      int64_t xs = obs_dim;
      for (int i = 0; i < layers; ++i) {
        const int64_t in = widths_[i], out = widths_[i + 1], out8 = out - out % bl::kLanes;
        const float *W = params + w_offset_[i], *b = params + b_offset_[i];
        const bool last = i == layers - 1;
        float* y = last ? logits + b0 * A
                        : cache ? cache + b0 * hidden_total_ + h_offset_[i] : hidden + (i & 1) * bl::kLanes * H;
        const int64_t ys = last ? A : cache ? hidden_total_ : H;
        if (out8 > 0)
          for (int64_t r = 0; r < n; ++r) {
            const int64_t count = bl::nonzeros<Isa>(x + r * xs, in, idx);
            bl::affine_row(x + r * xs, idx, count, W, b, out, 0, out8, y + r * ys);
          }
        if (out8 < out) {
          bl::transpose_rows(x, xs, n, in, xt);
          bl::affine_columns_all<Isa>(xt, in, W, b, out, out8, out, n, y, ys);
        }
        if (last) break;
        for (int64_t r = 0; r < n; ++r) {
          float* v = y + r * ys;
          if (relu_) {
            for (int64_t j = 0; j < out; ++j) v[j] = mlp_activate(v[j], true);
          } else {
            for (int64_t j = 0; j < out; ++j) v[j] = mlp_activate(v[j], false);
          }
        }
        x = y;
        xs = ys;
      }
    }
  }

  // A backward worker's buffers, set up once per thread part.
  struct BackwardScratch {
    explicit BackwardScratch(const Mlp& m)
        : dy(static_cast<size_t>(dense::blocks::kLanes * m.max_hidden_)),
          dx(dy.size()),
          gt(static_cast<size_t>(m.gt_size_)),
          idx(static_cast<size_t>(m.max_width_)) {}
    std::vector<float> dy, dx, gt;
    std::vector<int32_t> idx;
  };

  void backward_chunk_base(const float* obs, const float* dlogits, int64_t T, const float* cache, const float* wt,
                           int64_t s0, int64_t s1, float* g, BackwardScratch& s) const {
    backward_chunk<dense::blocks::Base>(obs, dlogits, T, cache, wt, s0, s1, g, s);
  }
  DLM_AVX2 void backward_chunk_avx2(const float* obs, const float* dlogits, int64_t T, const float* cache,
                                    const float* wt, int64_t s0, int64_t s1, float* g, BackwardScratch& s) const {
    backward_chunk<dense::blocks::Avx2>(obs, dlogits, T, cache, wt, s0, s1, g, s);
  }

  // Adds to g the gradient of sequences [s0, s1), rows in order, 8 at a
  // time through the layers. Every gradient element sums its rows in row
  // order, whichever kernel computes it: the columns of a layer past its last
  // multiple of 8 (all of a narrow logits layer) sum in a transposed copy gt,
  // 8 inputs per vector, taken from g before the chunk and put back after.
  template <class Isa>
  DLM_DENSE_INLINE void backward_chunk(const float* obs, const float* dlogits, int64_t T, const float* cache,
                                       const float* wt, int64_t s0, int64_t s1, float* g,
                                       BackwardScratch& s) const {
    namespace bl = dense::blocks;
    const int layers = static_cast<int>(widths_.size()) - 1;
    const int64_t obs_dim = widths_.front(), A = widths_.back(), H = max_hidden_;
    int32_t* idx = s.idx.data();
    auto narrow = [&](int i, bool put_back) {
      const int64_t in = widths_[i], out = widths_[i + 1], out8 = out - out % bl::kLanes;
      const int64_t in8 = in - in % bl::kLanes;
      float* G = g + w_offset_[i];
      float* gt = s.gt.data() + gt_offset_[i];
      for (int64_t j = out8; j < out; ++j)
        for (int64_t k = 0; k < in8; ++k) {
          float& t = gt[(j - out8) * in8 + k];
          if (put_back)
            G[k * out + j] = t;
          else
            t = G[k * out + j];
        }
    };
    for (int i = 0; i < layers; ++i) narrow(i, false);
    int64_t rows[bl::kLanes];
    for (int64_t r0 = s0 * T; r0 < s1 * T; r0 += bl::kLanes) {
      int64_t m = 0;  // rows with a gradient: masked rows are skipped
      for (int64_t r = r0; r < std::min(s1 * T, r0 + bl::kLanes); ++r)
        if (!dense::all_zero(dlogits + r * A, A)) rows[m++] = r;
      float *dy = s.dy.data(), *dx = s.dx.data();
      for (int i = layers - 1; i >= 0; --i) {
        const int64_t in = widths_[i], out = widths_[i + 1];
        const int64_t out8 = out - out % bl::kLanes, in8 = in - in % bl::kLanes;
        auto input = [&](int64_t j) {
          return i == 0 ? obs + rows[j] * obs_dim : cache + rows[j] * hidden_total_ + h_offset_[i - 1];
        };
        auto dout = [&](int64_t j) -> const float* {
          return i == layers - 1 ? dlogits + rows[j] * A : dy + j * H;
        };
        float* G = g + w_offset_[i];
        if (out8 > 0)
          for (int64_t j = 0; j < m; ++j) {
            const int64_t count = bl::nonzeros<Isa>(input(j), in, idx);
            bl::add_outer_row(input(j), idx, count, dout(j), out, 0, out8, G);
          }
        if (out8 < out) {
          float* gt = s.gt.data() + gt_offset_[i];
          int64_t c = out8;
          for (; c + 4 <= out; c += 4) bl::add_outer_columns<4, Isa>(m, input, dout, in8, c, gt + (c - out8) * in8);
          for (; c < out; ++c) bl::add_outer_columns<1, Isa>(m, input, dout, in8, c, gt + (c - out8) * in8);
          for (int64_t j = 0; j < m; ++j) {
            const float *x = input(j), *d = dout(j);
            for (int64_t k = in8; k < in; ++k) {
              const float xk = x[k];
              if (xk == 0.0f) continue;
              for (int64_t c2 = out8; c2 < out; ++c2) G[k * out + c2] += xk * d[c2];
            }
          }
        }
        for (int64_t j = 0; j < m; ++j) dense::add(dout(j), out, g + b_offset_[i]);
        if (i == 0) break;
        const float* wt_i = wt + wt_offset_[i - 1];
        for (int64_t j = 0; j < m; ++j) {
          float* d = dx + j * H;
          const float *x = input(j), *dj = dout(j);
          const int64_t count = bl::nonzeros<Isa>(dj, out, idx);
          bl::affine_row(dj, idx, count, wt_i, nullptr, in, 0, in8, d);
          for (int64_t k = in8; k < in; ++k) {
            float v = 0.0f;
            for (int64_t t = 0; t < count; ++t) v += dj[idx[t]] * wt_i[idx[t] * in + k];
            d[k] = v;
          }
          if (relu_) {
            for (int64_t k = 0; k < in; ++k) d[k] = mlp_activation_grad(d[k], x[k], true);
          } else {
            for (int64_t k = 0; k < in; ++k) d[k] = mlp_activation_grad(d[k], x[k], false);
          }
        }
        std::swap(dy, dx);
      }
    }
    for (int i = 0; i < layers; ++i) narrow(i, true);
  }

  std::vector<int> widths_;  // obs_dim, hidden..., actions
  bool relu_;
  MlpShape shape_{};  // the same layout for the device trainer (mlp_row.hpp)
  std::vector<int64_t> w_offset_, b_offset_, h_offset_, wt_offset_;
  std::vector<int64_t> gt_offset_;  // per layer, in BackwardScratch::gt
  int64_t num_params_ = 0, hidden_total_ = 0, wt_size_ = 0, macs_ = 0, gt_size_ = 0;
  int max_hidden_ = 0, max_width_ = 0;
};

}  // namespace

std::shared_ptr<const Model> make_mlp(int obs_dim, int actions, const Params& params) {
  std::vector<int> widths{obs_dim};
  const ParamSpecs& specs = model_param_specs("mlp");
  for (const double w : params.integers(spec_of(specs, "hidden"))) widths.push_back(static_cast<int>(w));
  widths.push_back(actions);
  if (widths.size() > kMlpMaxLayers + 1)  // the spec's bound; MlpShape holds no more
    throw Error(codes::kInvalidParam, params.owner() + ".hidden must have at most " +
                                          std::to_string(kMlpMaxLayers - 1) + " layers");
  // Read as text and checked here: the message lists the choices as this
  // kind always has ("tanh" or "relu").
  const ParamSpec& act = spec_of(specs, "activation");
  const std::string activation = params.text(act);
  if (std::find(act.choices.begin(), act.choices.end(), activation) == act.choices.end()) {
    std::string known;
    for (size_t i = 0; i < act.choices.size(); ++i)
      known += (i == 0 ? "" : i + 1 == act.choices.size() ? " or " : ", ") + ("\"" + act.choices[i] + "\"");
    throw Error(codes::kInvalidParam, params.owner() + ".activation must be " + known + ", got \"" + activation + "\"");
  }
  int64_t count = 0;
  for (size_t i = 0; i + 1 < widths.size(); ++i) count += (static_cast<int64_t>(widths[i]) + 1) * widths[i + 1];
  check_param_count(params, "mlp", count);
  return std::make_shared<Mlp>(std::move(widths), activation == "relu");
}

}  // namespace dilemma::learn
