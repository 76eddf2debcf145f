// Trainable models: hand-computed cases, gradients against central finite
// differences of float64 reference forwards, step/forward agreement, seeded
// initialisation, thread-count invariance and parameter errors.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include "../core/learn/chunked.hpp"
#include "../core/learn/dense.hpp"
#include "../core/learn/model.hpp"
#include "../core/parallel.hpp"
#include "../core/rng.hpp"
#include "check.hpp"

using dilemma::Params;
using dilemma::ParamValue;
using dilemma::learn::make_model;
using dilemma::learn::Model;
namespace codes = dilemma::codes;

namespace {

using Floats = std::vector<float>;

std::shared_ptr<const Model> make(const std::string& kind, int obs_dim, int actions,
                                  std::map<std::string, ParamValue> values = {}) {
  return make_model(kind, obs_dim, actions, Params("params", std::move(values)));
}

// Uniform in [lo, hi), reproducible.
Floats randoms(int64_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Floats v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] = lo + (hi - lo) * dilemma::rng::uniform(seed, static_cast<uint32_t>(i), 0, 0, dilemma::rng::kEnv, 0);
  return v;
}

Floats init(const Model& m, uint64_t seed) {
  Floats p(static_cast<size_t>(m.num_params()));
  m.init(p.data(), seed);
  return p;
}

bool same_bytes(const Floats& a, const Floats& b) {
  // memcmp must not see the null data() of an empty vector, even for 0 bytes.
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

struct Pass {
  Floats logits, cache, grad;
};

// forward then backward from a zero gradient.
Pass run(const Model& m, const Floats& params, const Floats& obs, const Floats& dlogits, int64_t B, int64_t T) {
  Pass out{Floats(static_cast<size_t>(B * T * m.actions())), Floats(static_cast<size_t>(m.cache_size(B, T))),
           Floats(static_cast<size_t>(m.num_params()), 0.0f)};
  m.forward(params.data(), obs.data(), B, T, out.logits.data(), out.cache.data());
  m.backward(params.data(), obs.data(), dlogits.data(), B, T, out.cache.data(), out.grad.data());
  return out;
}

using dtest::expect_error;

// --- float64 references, written from the documented layouts -------------

using Ref = std::function<std::vector<double>(const std::vector<double>& params)>;

std::vector<double> mlp_reference(const std::vector<int>& widths, bool relu, const std::vector<double>& p,
                                  const Floats& obs, int64_t rows) {
  std::vector<double> out;
  for (int64_t row = 0; row < rows; ++row) {
    std::vector<double> x(obs.begin() + row * widths[0], obs.begin() + (row + 1) * widths[0]);
    size_t at = 0;
    for (size_t i = 0; i + 1 < widths.size(); ++i) {
      const int in = widths[i], outw = widths[i + 1];
      const size_t W = at, b = at + static_cast<size_t>(in) * outw;
      at = b + outw;
      std::vector<double> y(outw);
      for (int j = 0; j < outw; ++j) {
        double s = p[b + j];
        for (int k = 0; k < in; ++k) s += x[k] * p[W + static_cast<size_t>(k) * outw + j];
        y[j] = i + 2 == widths.size() ? s : relu ? (s > 0 ? s : 0) : std::tanh(s);
      }
      x = y;
    }
    out.insert(out.end(), x.begin(), x.end());
  }
  return out;
}

double sigmoid(double a) { return 1.0 / (1.0 + std::exp(-a)); }

std::vector<double> gru_reference(int X, int H, int A, const std::vector<double>& p, const Floats& obs, int64_t B,
                                  int64_t T) {
  // Offsets in GRU_WEIGHT_NAMES order: Wz Wr Wn Uz Ur Un bz br bn bhn Wo bo.
  const size_t Wz = 0, Wr = Wz + X * H, Wn = Wr + X * H, Uz = Wn + X * H, Ur = Uz + H * H, Un = Ur + H * H,
               bz = Un + H * H, br = bz + H, bn = br + H, bhn = bn + H, Wo = bhn + H, bo = Wo + H * A;
  std::vector<double> out;
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> h(H, 0.0);
    for (int64_t t = 0; t < T; ++t) {
      const float* x = obs.data() + (b * T + t) * X;
      std::vector<double> next(H);
      for (int j = 0; j < H; ++j) {
        double az = p[bz + j], ar = p[br + j], an = p[bn + j], hn = p[bhn + j];
        for (int k = 0; k < X; ++k) {
          az += x[k] * p[Wz + k * H + j];
          ar += x[k] * p[Wr + k * H + j];
          an += x[k] * p[Wn + k * H + j];
        }
        for (int k = 0; k < H; ++k) {
          az += h[k] * p[Uz + k * H + j];
          ar += h[k] * p[Ur + k * H + j];
          hn += h[k] * p[Un + k * H + j];
        }
        const double z = sigmoid(az), r = sigmoid(ar), n = std::tanh(an + r * hn);
        next[j] = (1 - z) * n + z * h[j];
      }
      h = next;
      for (int a = 0; a < A; ++a) {
        double s = p[bo + a];
        for (int k = 0; k < H; ++k) s += h[k] * p[Wo + k * A + a];
        out.push_back(s);
      }
    }
  }
  return out;
}

// The model's forward against the reference, and its backward for
// L = Σ g ⊙ logits against central differences of the reference.
void check_gradient(const Model& m, const Ref& ref, int64_t B, int64_t T, uint64_t seed) {
  const Floats params = randoms(m.num_params(), seed, -0.8f, 0.8f);
  const Floats obs = randoms(B * T * m.obs_dim(), seed + 1);
  const Floats g = randoms(B * T * m.actions(), seed + 2);
  const Pass pass = run(m, params, obs, g, B, T);

  std::vector<double> p(params.begin(), params.end());
  const std::vector<double> want = ref(p);
  CHECK_EQ(want.size(), pass.logits.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK_CLOSE(pass.logits[i], want[i], 1e-5, 1e-5);

  auto loss = [&](const std::vector<double>& q) {
    const std::vector<double> z = ref(q);
    double s = 0;
    for (size_t i = 0; i < z.size(); ++i) s += g[i] * z[i];
    return s;
  };
  const double eps = 1e-6;
  std::vector<double> fd(p.size());
  double scale = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double keep = p[i];
    p[i] = keep + eps;
    const double up = loss(p);
    p[i] = keep - eps;
    const double down = loss(p);
    p[i] = keep;
    fd[i] = (up - down) / (2 * eps);
    scale = std::max(scale, std::fabs(fd[i]));
  }
  CHECK(scale > 0);
  for (size_t i = 0; i < p.size(); ++i) CHECK_CLOSE(pass.grad[i], fd[i], 1e-3, 1e-4 * scale);
}

// Forward and backward bytes for 1, 2 and 3 threads.
void check_thread_invariance(const Model& m, int64_t B, int64_t T, uint64_t seed) {
  const Floats params = randoms(m.num_params(), seed, -0.5f, 0.5f);
  const Floats obs = randoms(B * T * m.obs_dim(), seed + 1, 0.0f, 1.0f);
  const Floats g = randoms(B * T * m.actions(), seed + 2);
  std::vector<Pass> passes;
  for (int threads : {1, 2, 3}) {
    dilemma::set_default_threads(threads);
    passes.push_back(run(m, params, obs, g, B, T));
  }
  dilemma::set_default_threads(0);
  for (size_t i = 1; i < passes.size(); ++i) {
    CHECK(same_bytes(passes[i].logits, passes[0].logits));
    CHECK(same_bytes(passes[i].cache, passes[0].cache));
    CHECK(same_bytes(passes[i].grad, passes[0].grad));
  }
}

// step() over t with the state carried gives forward's logits, bit for bit.
void check_step_matches_forward(const Model& m, int64_t B, int64_t T, uint64_t seed) {
  const Floats params = init(m, seed);
  const Floats obs = randoms(B * T * m.obs_dim(), seed + 1);
  const int64_t A = m.actions(), X = m.obs_dim(), S = m.state_size();
  Floats logits(static_cast<size_t>(B * T * A)), cache(static_cast<size_t>(m.cache_size(B, T)));
  m.forward(params.data(), obs.data(), B, T, logits.data(), cache.data());
  Floats state(static_cast<size_t>(B * S), 0.0f), next(state.size()), obs_t(static_cast<size_t>(B * X)),
      logits_t(static_cast<size_t>(B * A)), stepped(logits.size());
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t b = 0; b < B; ++b)
      std::copy_n(obs.begin() + (b * T + t) * X, X, obs_t.begin() + b * X);
    m.step(params.data(), obs_t.data(), S ? state.data() : nullptr, B, logits_t.data(), S ? next.data() : nullptr);
    std::swap(state, next);
    for (int64_t b = 0; b < B; ++b)
      std::copy_n(logits_t.begin() + b * A, A, stepped.begin() + (b * T + t) * A);
  }
  CHECK(same_bytes(stepped, logits));
  // Forward without a cache gives the same logits too.
  Floats bare(logits.size());
  m.forward(params.data(), obs.data(), B, T, bare.data(), nullptr);
  CHECK(same_bytes(bare, logits));
}

// The golden case shared with test/models.test.ts: p[i] = ((7i mod 19) - 9) / 10,
// obs[k] = ((5k mod 11) - 5) / 8; the expected logits come from the ONNX
// writer's float64 references (mlpForward, gruForward) on the same values.
Floats golden_params(int64_t n) {
  Floats p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(((i * 7) % 19 - 9) / 10.0);
  return p;
}

Floats golden_obs(int64_t n) {
  Floats o(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) o[k] = static_cast<float>(((k * 5) % 11 - 5) / 8.0);
  return o;
}

// The MLP's per-row forward and backward as they were before the row-block
// kernels, kept as the reference the kernels must match bit for bit: every
// output element gets the same float operations in the same order. Layout
// and chunking as documented in mlp.cpp and chunked.hpp.
struct MlpRows {
  std::vector<int> widths;
  bool relu;
  std::vector<int64_t> w_off, b_off, h_off;
  int64_t hidden_total = 0, num_params = 0;

  MlpRows(std::vector<int> w, bool r) : widths(std::move(w)), relu(r) {
    for (size_t i = 0; i + 1 < widths.size(); ++i) {
      w_off.push_back(num_params);
      num_params += static_cast<int64_t>(widths[i]) * widths[i + 1];
      b_off.push_back(num_params);
      num_params += widths[i + 1];
      if (i + 2 < widths.size()) {
        h_off.push_back(hidden_total);
        hidden_total += widths[i + 1];
      }
    }
  }

  void forward(const float* params, const float* obs, int64_t n, float* logits, float* cache) const {
    namespace dense = dilemma::learn::dense;
    const int layers = static_cast<int>(widths.size()) - 1;
    const int64_t X = widths.front(), A = widths.back();
    for (int64_t r = 0; r < n; ++r) {
      float* hidden = cache + r * hidden_total;
      const float* x = obs + r * X;
      for (int i = 0; i < layers; ++i) {
        const int64_t in = widths[i], out = widths[i + 1];
        float* y = i == layers - 1 ? logits + r * A : hidden + h_off[i];
        dense::affine(x, in, params + w_off[i], params + b_off[i], out, y);
        if (i == layers - 1) break;
        for (int64_t j = 0; j < out; ++j) y[j] = relu ? (y[j] > 0.0f ? y[j] : 0.0f) : dense::tanh(y[j]);
        x = y;
      }
    }
  }

  void backward(const float* params, const float* obs, const float* dlogits, int64_t B, int64_t T,
                const float* cache, float* grad) const {
    namespace dense = dilemma::learn::dense;
    const int layers = static_cast<int>(widths.size()) - 1;
    const int64_t X = widths.front(), A = widths.back();
    const int64_t size = dilemma::learn::chunk_sequences(T);
    Floats partial(static_cast<size_t>(num_params)), dy, dx;
    for (int64_t s0 = 0; s0 < B; s0 += size) {
      std::fill(partial.begin(), partial.end(), 0.0f);
      float* g = partial.data();
      for (int64_t r = s0 * T; r < std::min(B, s0 + size) * T; ++r) {
        if (dense::all_zero(dlogits + r * A, A)) continue;
        dy.assign(dlogits + r * A, dlogits + (r + 1) * A);
        for (int i = layers - 1; i >= 0; --i) {
          const int64_t in = widths[i], out = widths[i + 1];
          const float* x = i == 0 ? obs + r * X : cache + r * hidden_total + h_off[i - 1];
          dense::add_outer(x, in, dy.data(), out, g + w_off[i]);
          dense::add(dy.data(), out, g + b_off[i]);
          if (i == 0) break;
          Floats wt(static_cast<size_t>(in * out));
          dense::transpose(params + w_off[i], in, out, wt.data());
          dx.assign(static_cast<size_t>(in), 0.0f);
          dense::add_xw(dy.data(), out, wt.data(), in, dx.data());
          for (int64_t k = 0; k < in; ++k) dx[k] = relu ? (x[k] > 0.0f ? dx[k] : 0.0f) : dx[k] * (1.0f - x[k] * x[k]);
          std::swap(dy, dx);
        }
      }
      for (int64_t j = 0; j < num_params; ++j) grad[j] += partial[j];
    }
  }
};

// Values with exact zeros (a share `zeros` of them), negative zeros among them.
Floats sparse_randoms(int64_t n, uint64_t seed, double zeros) {
  Floats v = randoms(n, seed, -1.5f, 1.5f);
  const Floats u = randoms(n, seed + 1000, 0.0f, 1.0f);
  for (int64_t i = 0; i < n; ++i)
    if (u[i] < zeros) v[i] = u[i] < zeros / 4 ? -0.0f : 0.0f;
  return v;
}

}  // namespace

// --- tabular ---------------------------------------------------------------

TEST("tabular: the state of two one-hot blocks is their mixed-radix code") {
  auto m = make("tabular", 6, 2, {{"blocks", 2.0}});
  CHECK_EQ(m->num_params(), 9 * 2);
  CHECK_EQ(m->state_size(), 0);
  Floats table(18);
  for (int i = 0; i < 18; ++i) table[i] = static_cast<float>(i);
  // Block 0 hot at 2, block 1 hot at 1: state 2 + 1 * 3 = 5. Then a row read
  // through argmax: block 0 -> 1, block 1 ties -> 0 (first), state 1.
  const Floats obs = {0, 0, 1, 0, 1, 0, 0.1f, 0.7f, 0.2f, 0.5f, 0.5f, 0};
  Floats logits(4), cache(static_cast<size_t>(m->cache_size(2, 1)));
  m->forward(table.data(), obs.data(), 2, 1, logits.data(), cache.data());
  CHECK(same_bytes(logits, Floats{10, 11, 2, 3}));
  Floats stepped(4);
  m->step(table.data(), obs.data(), nullptr, 2, stepped.data(), nullptr);
  CHECK(same_bytes(stepped, logits));
  // Backward scatters dlogits rows into their states' rows.
  Floats grad(18, 0.0f);
  const Floats dlogits = {1, 2, 3, 4};
  m->backward(table.data(), obs.data(), dlogits.data(), 2, 1, cache.data(), grad.data());
  Floats want(18, 0.0f);
  want[10] = 1, want[11] = 2, want[2] = 3, want[3] = 4;
  CHECK(same_bytes(grad, want));
}

TEST("tabular: zero init, repeated states accumulate, and the default is one block") {
  auto m = make("tabular", 3, 2);
  CHECK_EQ(m->num_params(), 6);
  CHECK(same_bytes(init(*m, 1), Floats(6, 0.0f)));
  const Floats obs = {0, 1, 0, 0, 1, 0, 1, 0, 0};
  Floats logits(6), cache(3), grad(6, 0.5f);
  const Floats params = {1, 2, 3, 4, 5, 6}, dl = {1, 1, 2, 2, 4, 8};
  m->forward(params.data(), obs.data(), 1, 3, logits.data(), cache.data());
  CHECK(same_bytes(logits, Floats{3, 4, 3, 4, 1, 2}));
  m->backward(params.data(), obs.data(), dl.data(), 1, 3, cache.data(), grad.data());
  CHECK(same_bytes(grad, Floats{4.5f, 8.5f, 3.5f, 3.5f, 0.5f, 0.5f}));
}

TEST("tabular: gradient matches finite differences") {
  auto m = make("tabular", 4, 3, {{"blocks", 2.0}});
  const int64_t B = 5, T = 4;
  const uint64_t seed = 2;
  const Floats obs = randoms(B * T * 4, seed + 1);  // what check_gradient draws
  auto ref = [&](const std::vector<double>& p) {
    std::vector<double> out;
    for (int64_t row = 0; row < B * T; ++row) {
      const float* x = obs.data() + row * 4;
      const int s = (x[1] > x[0] ? 1 : 0) + 2 * (x[3] > x[2] ? 1 : 0);
      for (int a = 0; a < 3; ++a) out.push_back(p[s * 3 + a]);
    }
    return out;
  };
  check_gradient(*m, ref, B, T, seed);
}

// --- mlp -------------------------------------------------------------------

TEST("mlp: given weights, by hand (tanh, relu, linear)") {
  // obs 2 -> hidden 2 -> 1 action. W0 = [[1, -1], [2, 0.5]], b0 = [0.5, -0.25],
  // W1 = [[1], [-2]], b1 = [0.1]; params in the order W0 b0 W1 b1.
  const Floats params = {1, -1, 2, 0.5f, 0.5f, -0.25f, 1, -2, 0.1f};
  const Floats obs = {0.5f, -1};
  // Pre-activations: 0.5 - 2 + 0.5 = -1, -0.5 - 0.5 - 0.25 = -1.25.
  Floats logits(1);
  auto tanh_model = make("mlp", 2, 1, {{"hidden", std::vector<double>{2}}});
  CHECK_EQ(tanh_model->num_params(), 9);
  tanh_model->forward(params.data(), obs.data(), 1, 1, logits.data(), nullptr);
  CHECK_CLOSE(logits[0], std::tanh(-1.0) - 2 * std::tanh(-1.25) + 0.1, 1e-6, 1e-6);
  const Floats relu_params = {1, -1, 2, 0.5f, 0.5f, 2.25f, 1, -2, 0.1f};  // pre-activations -1, 1.25
  auto relu_model = make("mlp", 2, 1, {{"hidden", std::vector<double>{2}}, {"activation", std::string("relu")}});
  relu_model->forward(relu_params.data(), obs.data(), 1, 1, logits.data(), nullptr);
  CHECK_CLOSE(logits[0], -2 * 1.25 + 0.1, 1e-6, 1e-6);
  auto linear = make("mlp", 2, 2, {{"hidden", std::vector<double>{}}});
  CHECK_EQ(linear->num_params(), 6);
  CHECK_EQ(linear->cache_size(4, 5), 0);
  const Floats lin = {1, 2, 3, 4, 0.5f, -0.5f};
  Floats two(2);
  linear->forward(lin.data(), obs.data(), 1, 1, two.data(), nullptr);
  CHECK(same_bytes(two, Floats{0.5f * 1 - 3 + 0.5f, 0.5f * 2 - 4 - 0.5f}));
}

TEST("mlp: defaults are hidden [64] with tanh") {
  auto m = make("mlp", 5, 3);
  CHECK(m->kind() == "mlp");
  CHECK_EQ(m->num_params(), 5 * 64 + 64 + 64 * 3 + 3);
  CHECK_EQ(m->cache_size(2, 3), 2 * 3 * 64);
}

TEST("mlp: gradients match finite differences (tanh, relu, linear)") {
  const int64_t B = 6, T = 3;
  for (const char* act : {"tanh", "relu"}) {
    const std::vector<int> widths = {3, 4, 5, 2};
    auto m = make("mlp", 3, 2, {{"hidden", std::vector<double>{4, 5}}, {"activation", std::string(act)}});
    const Floats obs = randoms(B * T * 3, 11 + 1);
    const bool relu = std::string(act) == "relu";
    check_gradient(*m, [&](const std::vector<double>& p) { return mlp_reference(widths, relu, p, obs, B * T); }, B,
                   T, 11);
  }
  auto linear = make("mlp", 4, 3, {{"hidden", std::vector<double>{}}});
  const Floats obs = randoms(40 * 2 * 4, 21 + 1);
  check_gradient(*linear, [&](const std::vector<double>& p) { return mlp_reference({4, 3}, false, p, obs, 80); },
                 40, 2, 21);
}

TEST("mlp: golden logits shared with the TypeScript layout test") {
  auto m = make("mlp", 3, 2, {{"hidden", std::vector<double>{4}}});
  const Floats params = golden_params(m->num_params()), obs = golden_obs(2 * 3);
  Floats logits(4);
  m->forward(params.data(), obs.data(), 2, 1, logits.data(), nullptr);
  const double want[] = {1.55461141696, -1.54075438080, 0.603853216105, -1.50327947825};
  for (int i = 0; i < 4; ++i) CHECK_CLOSE(logits[i], want[i], 1e-5, 1e-6);
}

// --- gru -------------------------------------------------------------------

TEST("gru: a one-unit step by hand") {
  auto m = make("gru", 1, 1, {{"hidden", 1.0}});
  CHECK_EQ(m->num_params(), 12);
  CHECK_EQ(m->state_size(), 1);
  // Wz Wr Wn Uz Ur Un bz br bn bhn Wo bo
  const Floats p = {0.5f, -1, 2, 0.25f, 1.5f, -0.5f, 0.1f, 0.2f, -0.3f, 0.4f, 3, -1};
  const double Wz = p[0], Wr = p[1], Wn = p[2], Uz = p[3], Ur = p[4], Un = p[5], bz = p[6], br = p[7], bn = p[8],
               bhn = p[9], Wo = p[10], bo = p[11];
  const double x = 0.8f, h = -0.6f;
  const double z = sigmoid(x * Wz + h * Uz + bz);
  const double r = sigmoid(x * Wr + h * Ur + br);
  const double n = std::tanh(x * Wn + bn + r * (h * Un + bhn));
  const double next = (1 - z) * n + z * h;
  const Floats obs = {static_cast<float>(x)};
  Floats state = {static_cast<float>(h)}, logits(1);
  m->step(p.data(), obs.data(), state.data(), 1, logits.data(), state.data());  // in place
  CHECK_CLOSE(state[0], next, 1e-6, 1e-7);
  CHECK_CLOSE(logits[0], next * Wo + bo, 1e-6, 1e-6);
  // forward starts from h = 0.
  Floats cache(static_cast<size_t>(m->cache_size(1, 1)));
  m->forward(p.data(), obs.data(), 1, 1, logits.data(), cache.data());
  const double z0 = sigmoid(x * Wz + bz), r0 = sigmoid(x * Wr + br), n0 = std::tanh(x * Wn + bn + r0 * bhn);
  CHECK_CLOSE(logits[0], (1 - z0) * n0 * Wo + bo, 1e-6, 1e-6);  // 3 · 0.34 − 1 cancels float digits
}

TEST("gru: gradients through time match finite differences") {
  const int X = 3, H = 4, A = 2;
  auto m = make("gru", X, A, {{"hidden", double(H)}});
  CHECK_EQ(m->num_params(), 3 * X * H + 3 * H * H + 4 * H + H * A + A);
  for (int64_t B : {3, 37}) {
    const int64_t T = 5;
    const Floats obs = randoms(B * T * X, 31 + 1);
    check_gradient(*m, [&](const std::vector<double>& p) { return gru_reference(X, H, A, p, obs, B, T); }, B, T,
                   31);
  }
}

TEST("gru: golden logits shared with the TypeScript layout test") {
  auto m = make("gru", 2, 2, {{"hidden", 3.0}});
  const Floats params = golden_params(m->num_params()), obs = golden_obs(2 * 2);
  // One sequence of two steps.
  Floats logits(4);
  m->forward(params.data(), obs.data(), 1, 2, logits.data(), nullptr);
  const double want[] = {-0.843746333423, 0.530468225538, -1.09429273765, 0.330550249193};
  for (int i = 0; i < 4; ++i) CHECK_CLOSE(logits[i], want[i], 1e-5, 1e-6);
}

// --- all models --------------------------------------------------------------

TEST("step agrees with forward, state carried over t") {
  check_step_matches_forward(*make("tabular", 6, 3, {{"blocks", 3.0}}), 7, 4, 41);
  check_step_matches_forward(*make("mlp", 5, 3, {{"hidden", std::vector<double>{8, 6}}}), 7, 4, 42);
  check_step_matches_forward(*make("gru", 5, 3, {{"hidden", 6.0}}), 7, 6, 43);
}

TEST("seeded init: same seed same bytes, other seed other values, within ±1/sqrt(fan_in)") {
  auto mlp = make("mlp", 9, 2, {{"hidden", std::vector<double>{16}}});
  auto gru = make("gru", 4, 2, {{"hidden", 25.0}});
  for (const auto* m : {mlp.get(), gru.get()}) {
    const Floats a = init(*m, 5), b = init(*m, 5), c = init(*m, 6);
    CHECK(same_bytes(a, b));
    int differ = 0;
    for (size_t i = 0; i < a.size(); ++i) differ += a[i] != c[i];
    CHECK(differ > static_cast<int>(a.size()) * 9 / 10);
  }
  const Floats p = init(*mlp, 5);
  // W0 [9, 16] and b0 [16]: ±1/3; W1 [16, 2] and b1 [2]: ±1/4.
  float max0 = 0, max1 = 0;
  for (size_t i = 0; i < p.size(); ++i) (i < 160 ? max0 : max1) = std::max(i < 160 ? max0 : max1, std::fabs(p[i]));
  CHECK(max0 <= 1.0f / 3 && max0 > 0.3f);
  CHECK(max1 <= 0.25f && max1 > 0.2f);
  float maxg = 0;
  for (float v : init(*gru, 5)) maxg = std::max(maxg, std::fabs(v));
  CHECK(maxg <= 0.2f && maxg > 0.19f);
  // A value depends on its index and the seed only.
  CHECK_EQ(p[7], (2.0f * dilemma::rng::uniform(5, 7, 0, 0, dilemma::rng::kInit, 0) - 1.0f) * (1.0f / 3));
}

TEST("forward and backward bytes do not depend on the thread count") {
  // Sizes well past the one-thread thresholds; B = 100 leaves a partial
  // chunk, and T = 100 makes chunks of 5 sequences.
  check_thread_invariance(*make("tabular", 8, 3, {{"blocks", 2.0}}), 2000, 50, 51);
  check_thread_invariance(*make("mlp", 8, 3, {{"hidden", std::vector<double>{64, 32}}}), 100, 7, 52);
  check_thread_invariance(
      *make("mlp", 8, 3, {{"hidden", std::vector<double>{48}}, {"activation", std::string("relu")}}), 100, 7, 53);
  check_thread_invariance(*make("gru", 8, 3, {{"hidden", 24.0}}), 100, 7, 54);
  check_thread_invariance(*make("gru", 4, 3, {{"hidden", 8.0}}), 9, 100, 55);
}

TEST("mlp: row-block kernels give the per-row reference's bytes (shapes, zeros, masks, threads)") {
  struct Case {
    std::vector<int> widths;
    bool relu;
    int64_t B, T;
    double zeros;
  };
  const std::vector<Case> cases = {
      {{36, 32, 4}, false, 64, 16, 0.9},   // the Coin policy: one-hot observations
      {{36, 32, 4}, true, 13, 5, 0.5},
      {{7, 13, 5}, false, 9, 3, 0.3},      // nothing a multiple of 8
      {{9, 40, 17, 3}, true, 11, 7, 0.4},  // 32 + 8 columns, then 16 + 1, then 3
      {{16, 8, 8, 9}, false, 5, 1, 0.0},
      {{5, 3}, false, 7, 2, 0.5},           // linear
      {{12, 64}, true, 3, 4, 0.2},          // linear, wide output
      {{3, 1, 2, 1}, true, 17, 3, 0.3},
      {{33, 24, 12}, false, 40, 20, 0.6},  // several chunks of 25 sequences
  };
  uint64_t seed = 900;
  for (const Case& c : cases) {
    std::vector<double> hidden(c.widths.begin() + 1, c.widths.end() - 1);
    auto m = make("mlp", c.widths.front(), c.widths.back(),
                  {{"hidden", hidden}, {"activation", std::string(c.relu ? "relu" : "tanh")}});
    const MlpRows ref(c.widths, c.relu);
    CHECK_EQ(m->num_params(), ref.num_params);
    const int64_t n = c.B * c.T, A = c.widths.back();
    Floats params = randoms(ref.num_params, ++seed, -0.8f, 0.8f);
    // A few exact zeros in the weights and biases too (outputs of -0 and +0).
    for (int64_t i = 0; i < ref.num_params; i += 7) params[i] = (i % 14) ? 0.0f : -0.0f;
    const Floats obs = sparse_randoms(n * c.widths.front(), ++seed, c.zeros);
    Floats dlogits = sparse_randoms(n * A, ++seed, 0.2);
    for (int64_t r = 0; r < n; r += 3) std::fill_n(dlogits.begin() + r * A, A, 0.0f);  // masked rows
    Floats want_logits(static_cast<size_t>(n * A)), want_cache(static_cast<size_t>(n * ref.hidden_total));
    ref.forward(params.data(), obs.data(), n, want_logits.data(), want_cache.data());
    Floats want_grad = randoms(ref.num_params, ++seed);
    const Floats grad0 = want_grad;
    ref.backward(params.data(), obs.data(), dlogits.data(), c.B, c.T, want_cache.data(), want_grad.data());
    for (int threads : {1, 2, 3, -1, -2}) {
      // Negative: that many threads with the baseline kernels instead of AVX2.
      dilemma::learn::dense::blocks::avx2_allowed() = threads > 0;
      dilemma::set_default_threads(std::abs(threads));
      Floats logits(want_logits.size()), cache(static_cast<size_t>(m->cache_size(c.B, c.T)));
      m->forward(params.data(), obs.data(), c.B, c.T, logits.data(), cache.data());
      CHECK(same_bytes(logits, want_logits));
      CHECK(same_bytes(cache, want_cache));
      Floats bare(logits.size());
      m->forward(params.data(), obs.data(), c.B, c.T, bare.data(), nullptr);
      CHECK(same_bytes(bare, want_logits));
      m->step(params.data(), obs.data(), nullptr, n, bare.data(), nullptr);
      CHECK(same_bytes(bare, want_logits));
      Floats grad = grad0;
      m->backward(params.data(), obs.data(), dlogits.data(), c.B, c.T, cache.data(), grad.data());
      CHECK(same_bytes(grad, want_grad));
    }
    dilemma::learn::dense::blocks::avx2_allowed() = true;
    dilemma::set_default_threads(0);
  }
}

TEST("backward adds to grad and skips masked rows") {
  auto m = make("mlp", 4, 2, {{"hidden", std::vector<double>{5}}});
  const int64_t B = 3, T = 2;
  const Floats params = init(*m, 1), obs = randoms(B * T * 4, 2);
  Floats g = randoms(B * T * 2, 3);
  const Pass base = run(*m, params, obs, g, B, T);
  Floats grad(base.grad.size(), 1.0f);
  m->backward(params.data(), obs.data(), g.data(), B, T, base.cache.data(), grad.data());
  for (size_t i = 0; i < grad.size(); ++i) CHECK_CLOSE(grad[i], 1.0 + base.grad[i], 1e-6, 1e-6);
  // Zeroing a row's dlogits removes exactly its contribution: a one-row batch.
  std::fill(g.begin() + 2, g.end(), 0.0f);
  const Pass masked = run(*m, params, obs, g, B, T);
  const Pass single = run(*m, params, Floats(obs.begin(), obs.begin() + 4), Floats(g.begin(), g.begin() + 2), 1, 1);
  CHECK(same_bytes(masked.grad, single.grad));
}

TEST("empty batches do nothing") {
  for (const auto& m : {make("tabular", 2, 2), make("mlp", 2, 2), make("gru", 2, 2, {{"hidden", 3.0}})}) {
    const Floats params = init(*m, 1);
    Floats grad(params.size(), 0.0f);
    m->forward(params.data(), nullptr, 0, 5, nullptr, nullptr);
    m->backward(params.data(), nullptr, nullptr, 0, 5, nullptr, grad.data());
    m->step(params.data(), nullptr, nullptr, 0, nullptr, nullptr);
    CHECK(same_bytes(grad, Floats(params.size(), 0.0f)));
  }
}

TEST("bad kinds, sizes and parameters fail with codes that name them") {
  using V = std::vector<double>;
  expect_error([] { make("lstm", 2, 2); }, codes::kInvalidArgument, "model kind 'lstm' is unknown");
  expect_error([] { make("mlp", 0, 2); }, codes::kInvalidArgument, "obs_dim");
  expect_error([] { make("gru", 2, 70000); }, codes::kInvalidArgument, "actions");
  expect_error([] { make("tabular", 5, 2, {{"blocks", 2.0}}); }, codes::kInvalidParam, "params.blocks must divide");
  expect_error([] { make("tabular", 5, 2, {{"blocks", 6.0}}); }, codes::kInvalidParam, "params.blocks");
  expect_error([] { make("tabular", 42, 2, {{"blocks", 21.0}}); }, codes::kTooLarge, "params.blocks");
  CHECK_EQ(make("tabular", 40, 2, {{"blocks", 20.0}})->num_params(), (int64_t{1} << 20) * 2);
  expect_error([] { make("tabular", 4, 2, {{"hidden", V{3}}}); }, codes::kInvalidParam, "params.hidden is not");
  expect_error([] { make("mlp", 4, 2, {{"hidden", V{8, 0}}}); }, codes::kInvalidParam,
               "params.hidden[1] must be an integer in [1, 65536], got 0");
  expect_error([] { make("mlp", 4, 2, {{"hidden", V{2.5}}}); }, codes::kInvalidParam, "params.hidden[0]");
  expect_error([] { make("mlp", 4, 2, {{"hidden", 8.0}}); }, codes::kInvalidParam, "params.hidden must be an array");
  expect_error([] { make("mlp", 4, 2, {{"hidden", V(33, 4.0)}}); }, codes::kInvalidParam, "params.hidden");
  expect_error([] { make("mlp", 4, 2, {{"activation", std::string("sigmoid")}}); }, codes::kInvalidParam,
               "params.activation must be \"tanh\" or \"relu\"");
  expect_error([] { make("mlp", 4, 2, {{"hidden", V{65536, 65536}}}); }, codes::kTooLarge, "params");
  expect_error([] { make("mlp", 4, 2, {{"blocks", 1.0}}); }, codes::kInvalidParam, "params.blocks is not");
  expect_error([] { make("gru", 4, 2, {{"hidden", 0.0}}); }, codes::kInvalidParam, "params.hidden");
  expect_error([] { make("gru", 4, 2, {{"hidden", V{8}}}); }, codes::kInvalidParam, "params.hidden must be a number");
  expect_error([] { make("gru", 4, 2, {{"activation", std::string("tanh")}}); }, codes::kInvalidParam,
               "params.activation is not");
}

// Not a timed test: prints forward + backward times when DILEMMA_MODEL_TIMING is set.
TEST("timing: forward + backward at B = 4096, T = 10") {
  if (!std::getenv("DILEMMA_MODEL_TIMING")) SKIP("set DILEMMA_MODEL_TIMING=1 to print timings");
  const int64_t B = 4096, T = 10;
  struct Case {
    const char* label;
    std::shared_ptr<const Model> model;
  };
  const Case cases[] = {
      {"tabular obs 10 (2 blocks of 5), 2 actions", make("tabular", 10, 2, {{"blocks", 2.0}})},
      {"mlp obs 10, hidden [64, 64] tanh, 2 actions", make("mlp", 10, 2, {{"hidden", std::vector<double>{64, 64}}})},
      {"gru obs 10, hidden 32, 2 actions", make("gru", 10, 2, {{"hidden", 32.0}})},
  };
  for (const auto& c : cases) {
    const Model& m = *c.model;
    const Floats params = init(m, 1);
    Floats obs(static_cast<size_t>(B * T * m.obs_dim()), 0.0f);
    for (int64_t r = 0; r < B * T; ++r) {
      obs[r * m.obs_dim() + r % 5] = 1.0f;
      obs[r * m.obs_dim() + 5 + (r / 5) % 5] = 1.0f;
    }
    const Floats g = randoms(B * T * m.actions(), 9);
    Floats logits(static_cast<size_t>(B * T * m.actions())), cache(static_cast<size_t>(m.cache_size(B, T))),
        grad(params.size(), 0.0f);
    for (int threads : {1, dilemma::hardware_threads()}) {
      dilemma::set_default_threads(threads);
      double best_f = 1e9, best_b = 1e9;
      for (int rep = 0; rep < 10; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        m.forward(params.data(), obs.data(), B, T, logits.data(), cache.data());
        const auto t1 = std::chrono::steady_clock::now();
        m.backward(params.data(), obs.data(), g.data(), B, T, cache.data(), grad.data());
        const auto t2 = std::chrono::steady_clock::now();
        best_f = std::min(best_f, std::chrono::duration<double, std::milli>(t1 - t0).count());
        best_b = std::min(best_b, std::chrono::duration<double, std::milli>(t2 - t1).count());
      }
      std::printf("# %s, %d threads: forward %.2f ms, backward %.2f ms (best of 10)\n", c.label, threads, best_f,
                  best_b);
    }
    dilemma::set_default_threads(0);
  }
}

TEST("activations: tanh, sigmoid and exp within a few ulp, NaN kept") {
  namespace dense = dilemma::learn::dense;
  double worst_tanh = 0, worst_sigmoid = 0, worst_exp = 0;
  for (int i = -2000000; i <= 2000000; ++i) {
    const float x = static_cast<float>(i) * 1e-5f;  // [-20, 20]
    const double t = std::tanh(static_cast<double>(x));
    if (x != 0) worst_tanh = std::max(worst_tanh, std::fabs(dense::tanh(x) - t) / std::fabs(t));
    const float a = x * 4.35f;  // [-87, 87]
    const double s = 1.0 / (1.0 + std::exp(-static_cast<double>(a)));
    worst_sigmoid = std::max(worst_sigmoid, std::fabs(dense::sigmoid(a) - s) / s);
    const float y = -std::fabs(x) * 4.35f;  // [-87, 0]
    const double e = std::exp(static_cast<double>(y));
    worst_exp = std::max(worst_exp, std::fabs(dense::exp_nonpositive(y) - e) / e);
  }
  for (float tiny : {1e-30f, -3e-12f, 2e-7f}) CHECK_EQ(dense::tanh(tiny), tiny);
  std::printf("# worst relative errors: tanh %.3g, sigmoid %.3g, exp %.3g\n", worst_tanh, worst_sigmoid, worst_exp);
  CHECK(worst_tanh < 3e-7);
  CHECK(worst_sigmoid < 3e-7);
  CHECK(worst_exp < 2e-7);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  CHECK_EQ(dense::tanh(inf), 1.0f);
  CHECK_EQ(dense::tanh(-inf), -1.0f);
  CHECK_EQ(dense::sigmoid(inf), 1.0f);
  CHECK(dense::sigmoid(-inf) < 2e-38f && dense::sigmoid(-100) < 2e-38f);
  CHECK(std::isnan(dense::tanh(nan)) && std::isnan(dense::sigmoid(nan)) && std::isnan(dense::exp_nonpositive(nan)));
}
