// Tabular policy: a row of logits per observation state.
//
// Flat parameters: table [num_states, actions], row-major; initialised to
// zeros (a uniform policy), so the seed is unused.
//
// The observation is `blocks` blocks of size = obs_dim / blocks. A block's
// index is the position of its largest element (the first one on ties), so a
// one-hot block gives its hot position, an all-zero block gives 0, and any
// other observation is read through its argmax. The state is
// Σ_j index_j · size^j (block 0 least significant), num_states = size^blocks.
//
// Cache: each row's state, as a float (exact: num_states <= 2^20 < 2^24).
#include <algorithm>

#include "chunked.hpp"
#include "dense.hpp"
#include "model_kinds.hpp"

namespace dilemma::learn {
namespace {

constexpr int64_t kMaxStates = int64_t{1} << 20;

class Tabular final : public Model {
 public:
  Tabular(int obs_dim, int actions, int blocks, int64_t states)
      : obs_dim_(obs_dim), actions_(actions), states_(states), layout_{blocks, obs_dim / blocks, states} {}

  std::string kind() const override { return "tabular"; }
  int obs_dim() const override { return obs_dim_; }
  int actions() const override { return actions_; }
  int64_t num_params() const override { return states_ * actions_; }
  const TabularLayout* tabular_layout() const override { return &layout_; }

  void init(float* params, uint64_t) const override { std::fill(params, params + num_params(), 0.0f); }

  void step(const float* params, const float* obs, const float*, int64_t n, float* logits, float*) const override {
    lookup(params, obs, n, logits, nullptr);
  }

  int64_t cache_size(int64_t B, int64_t T) const override { return B * T; }

  void forward(const float* params, const float* obs, int64_t B, int64_t T, float* logits,
               float* cache) const override {
    lookup(params, obs, B * T, logits, cache);
  }

  // A scatter-add of dlogits rows into the table, the same additions in the
  // same order for any thread count: small tables sum chunks of rows into
  // per-chunk copies (chunked_gradient); for large ones each thread owns a
  // range of states and adds their rows in row order.
  void backward(const float*, const float*, const float* dlogits, int64_t B, int64_t T, const float* cache,
                float* grad) const override {
    const int64_t n = B * T, A = actions_;
    if (states_ * A <= kChunkedTableEntries) {
      chunked_gradient(B, T, states_ * A, T * A, grad, [&] {
        return [&](int64_t s0, int64_t s1, float* partial) {
          for (int64_t r = s0 * T; r < s1 * T; ++r) {
            const float s = cache[r];
            if (!(s >= 0.0f && s < static_cast<float>(states_))) continue;
            dense::add(dlogits + r * A, A, partial + static_cast<int64_t>(s) * A);
          }
        };
      });
      return;
    }
    // Every thread reads every row's state, so a thread pays off late.
    const int threads = n * A >= 4 * kMinWorkPerThread ? default_threads() : 1;
    parallel_for(states_, threads, 1, [&](int64_t s0, int64_t s1) {
      for (int64_t r = 0; r < n; ++r) {
        const float s = cache[r];
        // Also keeps a foreign cache from writing outside the table.
        if (!(s >= static_cast<float>(s0) && s < static_cast<float>(s1))) continue;
        dense::add(dlogits + r * A, A, grad + static_cast<int64_t>(s) * A);
      }
    });
  }

 private:
  int64_t state_of(const float* x) const { return tabular_state(x, layout_); }

  void lookup(const float* params, const float* obs, int64_t n, float* logits, float* cache) const {
    const int64_t A = actions_;
    parallel_items(n, obs_dim_ + A, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t s = state_of(obs + r * obs_dim_);
        std::copy(params + s * A, params + (s + 1) * A, logits + r * A);
        if (cache) cache[r] = static_cast<float>(s);
      }
    });
  }

  int obs_dim_, actions_;
  int64_t states_;
  TabularLayout layout_;
};

}  // namespace

std::shared_ptr<const Model> make_tabular(int obs_dim, int actions, const Params& params) {
  const int blocks = params.integer(spec_of(model_param_specs("tabular"), "blocks"));
  if (obs_dim % blocks != 0)
    throw Error(codes::kInvalidParam, params.owner() + ".blocks must divide obs_dim (" + std::to_string(obs_dim) +
                                          "), got " + std::to_string(blocks));
  const int size = obs_dim / blocks;
  int64_t states = 1;
  for (int j = 0; j < blocks; ++j) {
    states *= size;
    if (states > kMaxStates)
      throw Error(codes::kTooLarge, params.owner() + ".blocks: " + std::to_string(blocks) + " blocks of " +
                                        std::to_string(size) + " give more than " + std::to_string(kMaxStates) +
                                        " states");
  }
  check_param_count(params, "tabular", states * actions);
  return std::make_shared<Tabular>(obs_dim, actions, blocks, states);
}

}  // namespace dilemma::learn
