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
#include "model_kinds.hpp"

namespace dilemma::learn {
namespace {

constexpr size_t kMaxLayers = 32;
constexpr int64_t kRowBlock = 16;

class Mlp final : public Model {
 public:
  Mlp(std::vector<int> widths, bool relu) : widths_(std::move(widths)), relu_(relu) {
    const size_t layers = widths_.size() - 1;
    int64_t offset = 0;
    for (size_t i = 0; i < layers; ++i) {
      w_offset_.push_back(offset);
      offset += static_cast<int64_t>(widths_[i]) * widths_[i + 1];
      b_offset_.push_back(offset);
      offset += widths_[i + 1];
      macs_ += static_cast<int64_t>(widths_[i]) * widths_[i + 1];
    }
    num_params_ = offset;
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
    const int64_t obs_dim = widths_.front(), A = widths_.back();
    // Rows go through the layers kRowBlock at a time, so that one layer's
    // weights and gradient stay in cache while the block passes; each
    // gradient element still sums its rows in row order.
    auto make_worker = [&]() {
      const size_t scratch = static_cast<size_t>(kRowBlock * max_hidden_);
      return [&, dy_buf = std::vector<float>(scratch), dx_buf = std::vector<float>(scratch)](
                 int64_t s0, int64_t s1, float* g) mutable {
        int64_t rows[kRowBlock];
        for (int64_t r0 = s0 * T; r0 < s1 * T; r0 += kRowBlock) {
          int64_t m = 0;  // rows with a gradient: masked rows are skipped
          for (int64_t r = r0; r < std::min(s1 * T, r0 + kRowBlock); ++r)
            if (!dense::all_zero(dlogits + r * A, A)) rows[m++] = r;
          float *dy = dy_buf.data(), *dx = dx_buf.data();
          for (int i = layers - 1; i >= 0; --i) {
            const int64_t in = widths_[i], out = widths_[i + 1];
            auto input = [&](int64_t j) {
              return i == 0 ? obs + rows[j] * obs_dim : cache + rows[j] * hidden_total_ + h_offset_[i - 1];
            };
            auto dout = [&](int64_t j) -> const float* {
              return i == layers - 1 ? dlogits + rows[j] * A : dy + j * max_hidden_;
            };
            for (int64_t j = 0; j < m; ++j) {
              dense::add_outer(input(j), in, dout(j), out, g + w_offset_[i]);
              dense::add(dout(j), out, g + b_offset_[i]);
            }
            if (i == 0) break;
            const float* wt_i = wt.data() + wt_offset_[i - 1];
            for (int64_t j = 0; j < m; ++j) {
              float* d = dx + j * max_hidden_;
              const float* x = input(j);
              dense::zero(d, in);
              dense::add_xw(dout(j), out, wt_i, in, d);
              if (relu_) {
                for (int64_t k = 0; k < in; ++k) d[k] = x[k] > 0.0f ? d[k] : 0.0f;
              } else {
                for (int64_t k = 0; k < in; ++k) d[k] *= 1.0f - x[k] * x[k];
              }
            }
            std::swap(dy, dx);
          }
        }
      };
    };
    chunked_gradient(B, T, num_params_, T * 2 * macs_, grad, make_worker);
  }

 private:
  // Rows are independent: any split over threads gives the same bits.
  void run_rows(const float* params, const float* obs, int64_t n, float* logits, float* cache) const {
    const int layers = static_cast<int>(widths_.size()) - 1;
    const int64_t obs_dim = widths_.front(), A = widths_.back();
    parallel_items(n, macs_, [&](int64_t r0, int64_t r1) {
      std::vector<float> scratch(cache ? 0 : static_cast<size_t>(hidden_total_));
      for (int64_t r = r0; r < r1; ++r) {
        float* hidden = cache ? cache + r * hidden_total_ : scratch.data();
        const float* x = obs + r * obs_dim;
        for (int i = 0; i < layers; ++i) {
          const int64_t in = widths_[i], out = widths_[i + 1];
          float* y = i == layers - 1 ? logits + r * A : hidden + h_offset_[i];
          dense::affine(x, in, params + w_offset_[i], params + b_offset_[i], out, y);
          if (i == layers - 1) break;
          if (relu_) {
            for (int64_t j = 0; j < out; ++j) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
          } else {
            for (int64_t j = 0; j < out; ++j) y[j] = dense::tanh(y[j]);
          }
          x = y;
        }
      }
    });
  }

  std::vector<int> widths_;  // obs_dim, hidden..., actions
  bool relu_;
  std::vector<int64_t> w_offset_, b_offset_, h_offset_, wt_offset_;
  int64_t num_params_ = 0, hidden_total_ = 0, wt_size_ = 0, macs_ = 0;
  int max_hidden_ = 0;
};

// Params::numbers checks an array against one expected length, while a layer
// list may have any length up to kMaxLayers: the length is found by trying.
std::vector<double> layer_list(const Params& params) {
  if (!params.has("hidden")) return {64};
  for (size_t n = 0; n <= kMaxLayers; ++n) {
    try {
      return params.numbers("hidden", {}, n);
    } catch (const Error&) {
    }
  }
  throw Error(codes::kInvalidParam, params.owner() + ".hidden must be an array of at most " +
                                        std::to_string(kMaxLayers) + " layer widths");
}

}  // namespace

std::shared_ptr<const Model> make_mlp(int obs_dim, int actions, const Params& params) {
  std::vector<int> widths{obs_dim};
  const std::vector<double> hidden = layer_list(params);
  for (size_t i = 0; i < hidden.size(); ++i) {
    const double w = hidden[i];
    if (!(w >= 1 && w <= kMaxDim && w == static_cast<int>(w)))
      throw Error(codes::kInvalidParam, params.owner() + ".hidden[" + std::to_string(i) +
                                            "] must be an integer in [1, " + std::to_string(kMaxDim) + "], got " +
                                            format_number(w));
    widths.push_back(static_cast<int>(w));
  }
  widths.push_back(actions);
  const std::string activation = params.text("activation", "tanh");
  if (activation != "tanh" && activation != "relu")
    throw Error(codes::kInvalidParam,
                params.owner() + ".activation must be \"tanh\" or \"relu\", got \"" + activation + "\"");
  int64_t count = 0;
  for (size_t i = 0; i + 1 < widths.size(); ++i) count += (static_cast<int64_t>(widths[i]) + 1) * widths[i + 1];
  check_param_count(params, "mlp", count);
  return std::make_shared<Mlp>(std::move(widths), activation == "relu");
}

}  // namespace dilemma::learn
