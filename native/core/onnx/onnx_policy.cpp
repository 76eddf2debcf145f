// A policy backed by an ONNX model: observations [n, obs_dim] (and recurrent
// state [n, h] per state pair) in, logits [n, actions] (and next state) out,
// one session call per thread's slice of the batch per step.
#include <algorithm>
#include <cstring>
#include <mutex>

#include "../error.hpp"
#include "../rng.hpp"
#include "../seat_sampling.hpp"
#include "onnx.hpp"

namespace dilemma::onnx {

namespace {

const TensorInfo* find(const std::vector<TensorInfo>& list, const std::string& name) {
  for (const auto& t : list)
    if (t.name == name) return &t;
  return nullptr;
}

std::string names(const std::vector<TensorInfo>& list) {
  std::string out;
  for (const auto& t : list) out += (out.empty() ? "" : ", ") + t.name + " " + t.type;
  return out.empty() ? "none" : out;
}

// The widest tensor row (floats per environment) a model may declare, and
// the most state floats per environment all its state tensors together may
// hold: a declared size is the file's claim, checked before any arithmetic
// uses it, so that no product or sum of sizes can wrap.
constexpr int64_t kMaxWidth = int64_t{1} << 24;

int64_t checked_width(int64_t n, const std::string& what, int dim) {
  if (n > kMaxWidth)
    throw Error(codes::kModelShape, what + " dimension " + std::to_string(dim) + " is " + std::to_string(n) +
                                        ", over the limit of " + std::to_string(kMaxWidth) + " values per environment");
  return n;
}

// What to change in torch.onnx.export when tensors disagree on a fixed batch.
std::string batch_fix(const std::string& name, int dim) {
  return "; export with a symbolic batch: torch.onnx.export(..., dynamic_axes={'" + name + "': {" +
         std::to_string(dim) + ": 'batch'}, ...}) or, with dynamo=True, dynamic_shapes";
}

// Every tensor a policy uses is float32 [batch, n]; a state may also be
// nn.GRU's own [1, batch, n] (layers = 1), which has the same memory layout.
// Sets *leading_one for that form, and *batch to a fixed batch (0 when
// symbolic): the engine then runs the model on chunks of that many rows.
int64_t width(const TensorInfo& t, const char* role, int64_t* batch, bool* leading_one = nullptr) {
  const std::string what = std::string("model ") + role + " '" + t.name + "'";
  if (t.type != "float32") {
    std::string fix = t.type == "float64" ? "; call model.float() (and feed float32 example inputs) before torch.onnx.export"
                                          : "; export it as float32 (torch.float32)";
    throw Error(codes::kModelType, what + " is " + t.type + "; expected float32" + fix);
  }
  const bool state = leading_one != nullptr;
  if (state && t.shape.size() == 3) {
    if (t.shape[0] != 1)
      throw Error(codes::kModelShape, what + " has shape [" + std::to_string(t.shape[0]) +
                                          ", batch, n]; the engine runs one recurrent layer: use nn.GRU(num_layers=1)"
                                          " or pass the state as [batch, n]");
    *batch = std::max<int64_t>(t.shape[1], 0);
    *leading_one = true;
    return checked_width(t.shape[2], what, 2);
  }
  if (t.shape.size() != 2)
    throw Error(codes::kModelShape, what + " has rank " + std::to_string(t.shape.size()) + "; expected [batch, n]" +
                                        (state ? " or nn.GRU's [1, batch, n]" : "") +
                                        " (flatten other dimensions inside the model before export)");
  *batch = std::max<int64_t>(t.shape[0], 0);
  return checked_width(t.shape[1], what, 1);
}

struct State {
  std::string in, out;
  int64_t size;
  int64_t offset;  // in floats per environment, before this one
  bool leading_one;  // nn.GRU's [1, batch, size]
};

class OnnxPolicy final : public Policy {
 public:
  OnnxPolicy(std::shared_ptr<Session> session, const PolicyOptions& o, std::string label)
      : session_(std::move(session)), label_(std::move(label)), options_(o) {
    const auto& ins = session_inputs(*session_);
    const auto& outs = session_outputs(*session_);
    idle_.reserve(kMaxIdle);
    // Names: explicit, else "obs"/"logits", else the only or first input, and
    // the only output or (at check, when the game is known) the output whose
    // last dimension is the game's action count.
    obs_ = o.obs_input;
    if (obs_.empty()) obs_ = find(ins, "obs") ? "obs" : (ins.empty() ? "" : ins[0].name);
    if (!find(ins, obs_)) throw Error(codes::kModelInputs, "model has no input '" + obs_ + "' (inputs: " + names(ins) + ")");
    if (!o.logits_output.empty())
      setup(o.logits_output, "");
    else if (find(outs, "logits"))
      setup("logits", " by name");
    else if (outs.size() == 1)
      setup(outs[0].name, " as the only output");
    else if (outs.empty())
      throw Error(codes::kModelInputs, "model has no outputs");
  }

  // Picks the logits among the outputs by the game's action count, once.
  void resolve(const GameInfo& g) const {
    std::lock_guard<std::mutex> lock(setup_mu_);
    if (resolved_) return;
    const auto& outs = session_outputs(*session_);
    std::vector<const TensorInfo*> hits;
    std::string all;
    for (const auto& t : outs) {
      const bool explicit_state = std::any_of(options_.state.begin(), options_.state.end(),
                                              [&](const auto& p) { return p.second == t.name; });
      all += (all.empty() ? "" : ", ") + t.name + " " + shape_text(t.shape);
      if (!explicit_state && !t.shape.empty() && t.shape.back() == g.actions) hits.push_back(&t);
    }
    if (hits.size() != 1) {
      std::string which;
      for (const auto* t : hits) which += (which.empty() ? "" : ", ") + t->name;
      throw Error(codes::kModelInputs,
                  "model has no output named 'logits' and " + std::to_string(hits.size()) +
                      " outputs whose last dimension is game '" + g.id + "''s " + std::to_string(g.actions) +
                      " actions" + (hits.empty() ? "" : " (" + which + ")") + "; outputs: " + all +
                      "; name the logits with the logitsOutput option, or export with "
                      "torch.onnx.export(..., output_names=['logits', ...])");
    }
    const_cast<OnnxPolicy*>(this)->setup(hits[0]->name,
                                         " by shape (its last dimension is the game's " + std::to_string(g.actions) +
                                             " actions)");
  }

  // Resolves the logits, the state pairs and the widths, given the logits' name.
  void setup(const std::string& logits_name, const std::string& how) {
    const auto& ins = session_inputs(*session_);
    const auto& outs = session_outputs(*session_);
    const PolicyOptions& o = options_;
    std::vector<std::pair<std::string, std::string>> pairs = o.state;
    states_.clear();
    state_floats_ = 0;
    fixed_batch_ = 0;
    logits_ = logits_name;
    const TensorInfo* obs = find(ins, obs_);
    const TensorInfo* logits = find(outs, logits_);
    if (!logits)
      throw Error(codes::kModelInputs, "model has no output '" + logits_ + "' (outputs: " + names(outs) + ")");
    who_ = "model output '" + logits_ + "'";
    // Every later error says which tensors were taken for what, and how to choose others.
    const std::string chosen = " (took input '" + obs_ + "' as the observation" +
                               (o.obs_input.empty() ? std::string(" by name or position") : std::string()) +
                               " and output '" + logits_ + "' as the logits" + how +
                               "; name them with the obsInput / logitsOutput options, or export with "
                               "torch.onnx.export(..., input_names=['obs', ...], output_names=['logits', ...]))";
    // A fixed batch, if any tensor has one: every fixed one must agree.
    std::string batch_from;
    auto take_batch = [&](int64_t b, const std::string& name, int dim) {
      if (b <= 0) return;
      if (fixed_batch_ > 0 && b != fixed_batch_)
        throw Error(codes::kModelShape, "model tensor '" + name + "' has a fixed batch of " + std::to_string(b) +
                                            " but '" + batch_from + "' has " + std::to_string(fixed_batch_) +
                                            batch_fix(name, dim) + chosen);
      if (fixed_batch_ == 0) batch_from = name;
      fixed_batch_ = b;
    };
    try {
      int64_t b = 0;
      obs_dim_ = width(*obs, "input", &b);
      take_batch(b, obs_, 0);
      actions_ = width(*logits, "output", &b);
      take_batch(b, logits_, 0);
    } catch (const Error& e) {
      throw Error(e.code(), e.what() + chosen);
    }
    if (pairs.empty() && o.discover_state) {
      // Remaining inputs pair with remaining outputs in order.
      std::vector<std::string> rest_in, rest_out;
      for (const auto& t : ins)
        if (t.name != obs_) rest_in.push_back(t.name);
      for (const auto& t : outs)
        if (t.name != logits_) rest_out.push_back(t.name);
      if (rest_in.size() != rest_out.size())
        throw Error(codes::kModelInputs, "model has " + std::to_string(rest_in.size()) + " state inputs but " +
                                             std::to_string(rest_out.size()) +
                                             " state outputs; name the pairs with the state option" + chosen);
      for (size_t k = 0; k < rest_in.size(); ++k) pairs.emplace_back(rest_in[k], rest_out[k]);
    }
    for (const auto& [in, out] : pairs) {
      const TensorInfo* ti = find(ins, in);
      const TensorInfo* to = find(outs, out);
      if (!ti) throw Error(codes::kModelInputs, "model has no state input '" + in + "' (inputs: " + names(ins) + ")" + chosen);
      if (!to) throw Error(codes::kModelInputs, "model has no state output '" + out + "' (outputs: " + names(outs) + ")" + chosen);
      bool lead_in = false, lead_out = false;
      int64_t b_in = 0, b_out = 0;
      const int64_t h = width(*ti, "state input", &b_in, &lead_in);
      const int64_t h2 = width(*to, "state output", &b_out, &lead_out);
      take_batch(b_in, in, lead_in ? 1 : 0);
      take_batch(b_out, out, lead_out ? 1 : 0);
      if (h <= 0) throw Error(codes::kModelShape, "model state input '" + in + "' needs a fixed dimension 1");
      if (h2 > 0 && h2 != h)
        throw Error(codes::kModelShape, "model state output '" + out + "' dimension 1 is " + std::to_string(h2) +
                                            " but its input '" + in + "' has " + std::to_string(h) + chosen);
      if (lead_in != lead_out)
        throw Error(codes::kModelShape, "model state input '" + in + "' and output '" + out +
                                            "' differ in form ([batch, n] against [1, batch, n])" + chosen);
      // Each h is at most kMaxWidth, so the sum cannot wrap before this check.
      if (state_floats_ + h > kMaxWidth)
        throw Error(codes::kModelShape, "model state inputs declare " + std::to_string(state_floats_ + h) +
                                            " values per environment up to '" + in + "', over the limit of " +
                                            std::to_string(kMaxWidth));
      states_.push_back({in, out, h, state_floats_, lead_in});
      state_floats_ += h;
    }
    for (const auto& t : ins)
      if (t.name != obs_ && std::none_of(states_.begin(), states_.end(), [&](const State& s) { return s.in == t.name; }))
        throw Error(codes::kModelInputs, "model input '" + t.name + "' is neither the observation nor a state input" + chosen);
    chosen_ = chosen;
    resolved_ = true;
  }

  const std::shared_ptr<Session>& session() const { return session_; }
  std::string name() const override { return label_; }
  int64_t float_memory_size() const override { return state_floats_; }

  void check(const Game& game, int agent) const override {
    const GameInfo& g = game.info();
    resolve(g);
    if (obs_dim_ > 0 && obs_dim_ != g.obs_dim)
      throw Error(codes::kModelShape, "model input '" + obs_ + "' dimension 1 is " + std::to_string(obs_dim_) +
                                          " but game '" + g.id + "' gives agent " + std::to_string(agent) + " " +
                                          std::to_string(g.obs_dim) + " observation values" + chosen_);
    if (actions_ > 0 && actions_ != g.actions)
      throw Error(codes::kModelShape, "model output '" + logits_ + "' dimension 1 is " + std::to_string(actions_) +
                                          " but game '" + g.id + "' has " + std::to_string(g.actions) + " actions" + chosen_);
  }

  void act(const ActContext& c, int64_t b0, int64_t b1) const override { act_seats(&c, 1, b0, b1); }

  // All seats in one model call: rows are seat-major, [seat][environment].
  void act_seats(const ActContext* seats, int count, int64_t b0, int64_t b1) const override {
    const ActContext& c0 = seats[0];
    const int64_t n = b1 - b0, B = c0.envs->batch(), rows = n * count;
    if (n <= 0) return;
    // Fixed model widths equal the game's (check() saw to it); symbolic ones take the game's.
    const GameInfo& g = c0.envs->game().info();
    const int64_t D = g.obs_dim, A = g.actions;
    if (fixed_batch_ > 0) return act_chunks(seats, count, b0, b1, D, A);
    Lease lease(*this, rows, D, A);
    BoundRun& run = lease.run();
    float* obs = run.input(0);
    // Observation rows are a few floats each: copied in line, as a memcpy
    // call per row costs several times the copy.
    for (int s = 0; s < count; ++s) {
      const float* src = c0.obs + b0 * c0.obs_stride + static_cast<int64_t>(seats[s].agent) * D;
      float* dst = obs + s * n * D;
      for (int64_t k = 0; k < n; ++k, src += c0.obs_stride, dst += D)
        for (int64_t d = 0; d < D; ++d) dst[d] = src[d];
    }
    for (size_t k = 0; k < states_.size(); ++k) {
      const State& st = states_[k];
      const int64_t width = n * st.size;
      for (int s = 0; s < count; ++s)
        std::memcpy(run.input(k + 1) + s * width, seats[s].fmemory + B * st.offset + b0 * st.size,
                    sizeof(float) * width);
    }
    run.run();
    for (size_t k = 0; k < states_.size(); ++k) {
      const State& st = states_[k];
      const int64_t width = n * st.size;
      for (int s = 0; s < count; ++s)
        std::memcpy(seats[s].fmemory + B * st.offset + b0 * st.size, run.output(k + 1) + s * width,
                    sizeof(float) * width);
    }
    sample_seats(seats, count, b0, b1, run.output(0), static_cast<int>(A), who_);
  }

 private:
  // A model with a fixed batch F runs on chunks of F rows, the last one
  // padded with zeros; rows are seat-major as in act_seats.
  void act_chunks(const ActContext* seats, int count, int64_t b0, int64_t b1, int64_t D, int64_t A) const {
    const ActContext& c0 = seats[0];
    const int64_t n = b1 - b0, B = c0.envs->batch(), rows = n * count, F = fixed_batch_;
    thread_local std::vector<float> logits;
    logits.resize(static_cast<size_t>(rows * A));
    Lease lease(*this, F, D, A);
    BoundRun& run = lease.run();
    for (int64_t r0 = 0; r0 < rows; r0 += F) {
      const int64_t m = std::min(F, rows - r0);
      float* obs = run.input(0);
      for (int64_t i = 0; i < m; ++i) {
        const int64_t s = (r0 + i) / n, k = (r0 + i) % n;
        std::memcpy(obs + i * D, c0.obs + (b0 + k) * c0.obs_stride + static_cast<int64_t>(seats[s].agent) * D,
                    sizeof(float) * D);
        for (size_t j = 0; j < states_.size(); ++j) {
          const State& st = states_[j];
          std::memcpy(run.input(j + 1) + i * st.size, seats[s].fmemory + B * st.offset + (b0 + k) * st.size,
                      sizeof(float) * st.size);
        }
      }
      if (m < F) {
        std::fill(obs + m * D, obs + F * D, 0.0f);
        for (size_t j = 0; j < states_.size(); ++j)
          std::fill(run.input(j + 1) + m * states_[j].size, run.input(j + 1) + F * states_[j].size, 0.0f);
      }
      run.run();
      std::memcpy(logits.data() + r0 * A, run.output(0), sizeof(float) * m * A);
      for (int64_t i = 0; i < m; ++i) {
        const int64_t s = (r0 + i) / n, k = (r0 + i) % n;
        for (size_t j = 0; j < states_.size(); ++j) {
          const State& st = states_[j];
          std::memcpy(seats[s].fmemory + B * st.offset + (b0 + k) * st.size, run.output(j + 1) + i * st.size,
                      sizeof(float) * st.size);
        }
      }
    }
    sample_seats(seats, count, b0, b1, logits.data(), static_cast<int>(A), who_);
  }

  static std::string shape_text(const std::vector<int64_t>& shape) {
    std::string out = "[";
    for (size_t k = 0; k < shape.size(); ++k)
      out += (k ? ", " : "") + (shape[k] < 0 ? std::string("batch") : std::to_string(shape[k]));
    return out + "]";
  }

  struct Bound {
    int64_t rows, obs_dim, actions;
    std::unique_ptr<BoundRun> run;
    int64_t bytes() const { return run ? static_cast<int64_t>(run->bytes()) : 0; }
  };

  // Bound tensors are made once per row count and caller, and reused on
  // every later step: a rollout's threads each lease one for the length of a
  // model call (the policy itself stays immutable and shared).
  class Lease {
   public:
    Lease(const OnnxPolicy& p, int64_t rows, int64_t obs_dim, int64_t actions) : p_(p) {
      {
        std::lock_guard<std::mutex> lock(p.mu_);
        for (size_t k = p.idle_.size(); k-- > 0;) {
          const Bound& b = p.idle_[k];
          if (b.rows == rows && b.obs_dim == obs_dim && b.actions == actions) {
            p.idle_bytes_ -= b.bytes();
            bound_ = std::move(p.idle_[k]);
            p.idle_.erase(p.idle_.begin() + static_cast<std::ptrdiff_t>(k));
            break;
          }
        }
      }
      if (!bound_.run) bound_ = Bound{rows, obs_dim, actions, p.bind(rows, obs_dim, actions)};
    }
    // Never allocates (idle_ has kMaxIdle reserved), so it cannot throw.
    ~Lease() {
      std::lock_guard<std::mutex> lock(p_.mu_);
      // Enough for every thread of any rollout; past either bound the oldest (likely another batch size) go.
      while (!p_.idle_.empty() && (p_.idle_.size() >= kMaxIdle || p_.idle_bytes_ + bound_.bytes() > kMaxIdleBytes)) {
        p_.idle_bytes_ -= p_.idle_.front().bytes();
        p_.idle_.erase(p_.idle_.begin());
      }
      p_.idle_bytes_ += bound_.bytes();
      p_.idle_.push_back(std::move(bound_));
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    BoundRun& run() { return *bound_.run; }

   private:
    const OnnxPolicy& p_;
    Bound bound_{0, 0, 0, nullptr};
  };

  // Inputs: observation, then each state; outputs: logits, then each next state.
  std::unique_ptr<BoundRun> bind(int64_t rows, int64_t obs_dim, int64_t actions) const {
    std::vector<BoundRun::Tensor> ins{{obs_, obs_dim}}, outs{{logits_, actions}};
    for (const State& st : states_) {
      ins.push_back({st.in, st.size, st.leading_one});
      outs.push_back({st.out, st.size, st.leading_one});
    }
    return std::make_unique<BoundRun>(session_, ins, outs, rows);
  }

  std::shared_ptr<Session> session_;
  std::string label_;
  PolicyOptions options_;
  std::string obs_, logits_, who_, chosen_;
  int64_t obs_dim_ = 0, actions_ = 0;
  int64_t fixed_batch_ = 0;  // 0: symbolic
  // Set once: at construction, or at the first check when the logits are chosen by shape.
  mutable std::mutex setup_mu_;
  bool resolved_ = false;
  std::vector<State> states_;
  int64_t state_floats_ = 0;
  static constexpr size_t kMaxIdle = 64;
  static constexpr int64_t kMaxIdleBytes = int64_t{256} << 20;
  mutable std::mutex mu_;
  mutable std::vector<Bound> idle_;
  mutable int64_t idle_bytes_ = 0;
};

}  // namespace

std::shared_ptr<const Policy> make_policy(std::shared_ptr<Session> session, const PolicyOptions& options,
                                          const std::string& label) {
  if (!session) throw Error(codes::kInvalidArgument, "session is missing");
  return std::make_shared<OnnxPolicy>(std::move(session), options, label);
}

std::shared_ptr<Session> policy_session(const Policy& policy) {
  const auto* p = dynamic_cast<const OnnxPolicy*>(&policy);
  return p ? p->session() : nullptr;
}

}  // namespace dilemma::onnx
