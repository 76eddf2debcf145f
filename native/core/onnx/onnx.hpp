// ONNX Runtime policies. This header needs no ONNX Runtime headers: builds
// without them still compile, and every entry point then reports why ONNX
// policies are unavailable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../policy.hpp"

namespace dilemma::onnx {

struct RuntimeStatus {
  bool compiled = false;   // built with ONNX Runtime headers
  bool available = false;  // library loaded and API version supported
  std::string reason;      // why not, when unavailable
  std::string library;     // path of the loaded library
  std::string version;     // the runtime's version string
  int api_version = 0;     // the C API version the engine uses
};

// Loads the ONNX Runtime shared library from path (once per process; later
// calls return the first successful result). Never throws.
RuntimeStatus load_runtime(const std::string& path);
RuntimeStatus runtime_status();

// A float32 initializer the engine owns, so that new weights can be written
// into the memory the session computes from (no new session).
struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct SessionOptions {
  int intra_op_threads = 1;    // the rollout already runs one session call per thread
  int graph_optimization = 3;  // 0 disable, 1 basic, 2 extended, 3 all
  // Initializers handed to the runtime over engine-owned buffers (with
  // prepacking off, so kernels read them on every run); empty: the model's own.
  std::vector<WeightSpec> weights;
};

struct TensorInfo {
  std::string name;
  std::string type;            // "float32", "int64", ...
  std::vector<int64_t> shape;  // -1 for symbolic or unknown dimensions
};

class Session;

// Throws ERR_BACKEND_UNAVAILABLE, ERR_MODEL_LOAD (missing file, corrupt bytes).
std::shared_ptr<Session> open_session(const std::string& path, const SessionOptions& options);
std::shared_ptr<Session> open_session(const std::vector<uint8_t>& bytes, const SessionOptions& options);
const std::vector<TensorInfo>& session_inputs(const Session& s);
const std::vector<TensorInfo>& session_outputs(const Session& s);
// The settable weights (those given in SessionOptions::weights), and the
// buffer the session reads each one from. Writing a buffer while a run is in
// flight is a data race: callers make sure none is (see policy_session).
const std::vector<TensorInfo>& session_weights(const Session& s);
float* session_weight_data(Session& s, size_t k);

// Runs the session on float32 tensors: inputs[k] has shape in_shapes[k];
// the model writes outputs[k] in place, which must have shape out_shapes[k]
// (a model producing another shape fails with ERR_MODEL_RUN).
void run_session(const Session& s, const std::vector<const char*>& in_names, const std::vector<const float*>& inputs,
                 const std::vector<std::vector<int64_t>>& in_shapes, const std::vector<const char*>& out_names,
                 const std::vector<float*>& outputs, const std::vector<std::vector<int64_t>>& out_shapes);

// Float32 tensors bound once to a session's inputs and outputs at a fixed
// row count ([rows, width] each, row-major), then run any number of times:
// the hot path creates no tensor and allocates nothing per call. One caller
// at a time uses a BoundRun; threads share the session, each with its own.
class BoundRun {
 public:
  struct Tensor {
    std::string name;
    int64_t width;
    bool leading_one = false;  // shaped [1, rows, width] (nn.GRU's state), same memory as [rows, width]
  };
  // Throws ERR_BACKEND_UNAVAILABLE, ERR_MODEL_RUN (a tensor cannot be made).
  BoundRun(std::shared_ptr<Session> session, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
           int64_t rows);
  ~BoundRun();
  BoundRun(const BoundRun&) = delete;
  BoundRun& operator=(const BoundRun&) = delete;

  int64_t rows() const { return rows_; }
  float* input(size_t k) { return in_[k].data(); }
  float* output(size_t k) { return out_[k].data(); }
  // Memory held by the buffers.
  size_t bytes() const;
  // The model reads every input and writes every output in place; a model
  // producing another shape fails with ERR_MODEL_RUN.
  void run();

 private:
  struct Values;
  std::shared_ptr<Session> session_;
  int64_t rows_;
  std::vector<std::vector<float>> in_, out_;
  std::unique_ptr<Values> values_;
};

struct PolicyOptions {
  std::string obs_input;      // empty: discovered
  std::string logits_output;  // empty: discovered
  // Recurrent state as (input, output) pairs carried from step to step;
  // discovered when empty and `discover_state` is set.
  std::vector<std::pair<std::string, std::string>> state;
  bool discover_state = true;
};

// Resolves names and checks types: every tensor the policy uses must be
// float32 of rank 2 ([batch, n]). Throws ERR_MODEL_INPUTS / ERR_MODEL_TYPE.
std::shared_ptr<const Policy> make_policy(std::shared_ptr<Session> session, const PolicyOptions& options,
                                          const std::string& label);
// The session behind a policy made by make_policy; nullptr for other policies.
std::shared_ptr<Session> policy_session(const Policy& policy);

}  // namespace dilemma::onnx
