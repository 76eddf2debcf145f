// An ONNX Runtime inference session over float32 tensors, with its inputs'
// and outputs' names, types and shapes read once at load.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../env.hpp"
#include "../error.hpp"
#include "../limits.hpp"
#include "onnx.hpp"
#include "ort_runtime.hpp"

namespace dilemma::onnx {

#if DILEMMA_WITH_ORT

namespace {

const char* type_name(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16: return "bfloat16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return "bool";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING: return "string";
    default: return "other";
  }
}

// Releases an ORT object when the scope ends.
template <typename T>
struct Owned {
  T* p = nullptr;
  void (*release)(T*) = nullptr;
  ~Owned() {
    if (p && release) release(p);
  }
};

}  // namespace

class Session {
 public:
  Session(const void* data, size_t size, const std::string* path, const SessionOptions& o) : rt_(runtime()) {
    const OrtApi* api = rt_.api;
    Owned<OrtSessionOptions> opts{nullptr, api->ReleaseSessionOptions};
    check(api->CreateSessionOptions(&opts.p), codes::kModelLoad, "cannot create session options");
    check(api->SetIntraOpNumThreads(opts.p, o.intra_op_threads), codes::kModelLoad, "intra-op threads");
    check(api->SetInterOpNumThreads(opts.p, 1), codes::kModelLoad, "inter-op threads");
    const GraphOptimizationLevel levels[] = {ORT_DISABLE_ALL, ORT_ENABLE_BASIC, ORT_ENABLE_EXTENDED, ORT_ENABLE_ALL};
    check(api->SetSessionGraphOptimizationLevel(opts.p, levels[o.graph_optimization]), codes::kModelLoad,
          "graph optimization level");
    check(api->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &memory_), codes::kModelLoad, "memory info");
    if (!o.weights.empty()) add_weights(opts.p, o.weights);
    if (path)
      check(api->CreateSession(rt_.env, path->c_str(), opts.p, &session_), codes::kModelLoad,
            "cannot load the model from " + *path);
    else
      check(api->CreateSessionFromArray(rt_.env, data, size, opts.p, &session_), codes::kModelLoad,
            "cannot load the model from its bytes");
    describe(true, inputs_);
    describe(false, outputs_);
  }

  ~Session() {
    // The session reads the weights' values until it is gone: release it first.
    if (session_) rt_.api->ReleaseSession(session_);
    for (OrtValue* v : weight_values_)
      if (v) rt_.api->ReleaseValue(v);
    if (memory_) rt_.api->ReleaseMemoryInfo(memory_);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run(const std::vector<const char*>& in_names, const std::vector<const float*>& inputs,
           const std::vector<std::vector<int64_t>>& in_shapes, const std::vector<const char*>& out_names,
           const std::vector<float*>& outputs, const std::vector<std::vector<int64_t>>& out_shapes) const {
    const OrtApi* api = rt_.api;
    std::vector<OrtValue*> in(inputs.size(), nullptr), out(out_names.size(), nullptr);
    struct Release {
      const OrtApi* api;
      std::vector<OrtValue*>* values;
      ~Release() {
        for (OrtValue* v : *values)
          if (v) api->ReleaseValue(v);
      }
    } release_in{api, &in}, release_out{api, &out};
    // Tensors over the caller's memory: no copies in, and the model writes its outputs in place.
    auto wrap = [&](float* data, const std::vector<int64_t>& shape, const char* name, OrtValue** value) {
      // The product of the shape's dims, which the caller sized: checked all
      // the same, as a wrapped count would describe memory that is not there.
      size_t count = 1;
      for (int64_t d : shape)
        if (d < 0 || __builtin_mul_overflow(count, static_cast<size_t>(d), &count) ||
            count > static_cast<size_t>(kMaxElements))
          throw Error(codes::kTooLarge, std::string("tensor '") + name + "' has a shape past the element limit");
      check(api->CreateTensorWithDataAsOrtValue(memory_, data, count * sizeof(float), shape.data(), shape.size(),
                                                ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, value),
            codes::kModelRun, std::string("cannot wrap tensor '") + name + "'");
    };
    for (size_t k = 0; k < inputs.size(); ++k) wrap(const_cast<float*>(inputs[k]), in_shapes[k], in_names[k], &in[k]);
    for (size_t k = 0; k < out.size(); ++k) wrap(outputs[k], out_shapes[k], out_names[k], &out[k]);
    check(api->Run(session_, nullptr, in_names.data(), in.data(), in.size(), out_names.data(), out.size(), out.data()),
          codes::kModelRun, "the model failed to run");
  }

  std::vector<TensorInfo> inputs_, outputs_;
  std::vector<TensorInfo> weights_;
  std::vector<std::vector<float>> weight_data_;

 private:
  friend class BoundRun;

  // Each initializer over a buffer the session keeps: AddInitializer makes
  // the runtime compute from that memory rather than from a copy. Anything
  // that copies a weight at load would hide later writes: prepacking (a
  // kernel's own layout) is off here, and graph optimisations (constant
  // folding, fusions, constant sharing) are left off by the caller; constant
  // sharing is named off here too, should a caller raise the level.
  void add_weights(OrtSessionOptions* opts, const std::vector<WeightSpec>& weights) {
    const OrtApi* api = rt_.api;
    check(api->AddSessionConfigEntry(opts, "session.disable_prepacking", "1"), codes::kModelLoad, "prepacking");
    check(api->AddSessionConfigEntry(opts, "optimization.disable_specified_optimizers", "ConstantSharing"),
          codes::kModelLoad, "constant sharing");
    weights_.reserve(weights.size());
    weight_data_.reserve(weights.size());
    weight_values_.reserve(weights.size());
    for (const WeightSpec& w : weights) {
      size_t count = 1;
      for (int64_t d : w.shape)
        if (d < 0 || __builtin_mul_overflow(count, static_cast<size_t>(d), &count))
          throw Error(codes::kModelShape, "weight '" + w.name + "' has a negative or overflowing shape");
      if (count != w.data.size() || count == 0)
        throw Error(codes::kModelShape, "weight '" + w.name + "' has " + std::to_string(w.data.size()) +
                                            " values for " + std::to_string(count) + " elements of its shape");
      weights_.push_back({w.name, "float32", w.shape});
      weight_data_.push_back(w.data);
      std::vector<float>& buffer = weight_data_.back();
      weight_values_.push_back(nullptr);
      check(api->CreateTensorWithDataAsOrtValue(memory_, buffer.data(), buffer.size() * sizeof(float), w.shape.data(),
                                                w.shape.size(), ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT,
                                                &weight_values_.back()),
            codes::kModelLoad, "cannot make weight '" + w.name + "'");
      check(api->AddInitializer(opts, weights_.back().name.c_str(), weight_values_.back()), codes::kModelLoad,
            "cannot hand weight '" + w.name + "' to the runtime");
    }
  }

  void describe(bool input, std::vector<TensorInfo>& into) {
    const OrtApi* api = rt_.api;
    size_t n = 0;
    check(input ? api->SessionGetInputCount(session_, &n) : api->SessionGetOutputCount(session_, &n),
          codes::kModelLoad, "cannot count the model's tensors");
    OrtAllocator* alloc = nullptr;
    check(api->GetAllocatorWithDefaultOptions(&alloc), codes::kModelLoad, "allocator");
    for (size_t i = 0; i < n; ++i) {
      TensorInfo t;
      char* name = nullptr;
      check(input ? api->SessionGetInputName(session_, i, alloc, &name)
                  : api->SessionGetOutputName(session_, i, alloc, &name),
            codes::kModelLoad, "tensor name");
      t.name = name;
      check(api->AllocatorFree(alloc, name), codes::kModelLoad, "allocator");
      Owned<OrtTypeInfo> type{nullptr, api->ReleaseTypeInfo};
      check(input ? api->SessionGetInputTypeInfo(session_, i, &type.p)
                  : api->SessionGetOutputTypeInfo(session_, i, &type.p),
            codes::kModelLoad, "tensor type");
      const OrtTensorTypeAndShapeInfo* info = nullptr;
      check(api->CastTypeInfoToTensorInfo(type.p, &info), codes::kModelLoad, "tensor info");
      if (!info) {
        t.type = "non-tensor";
      } else {
        ONNXTensorElementDataType et;
        check(api->GetTensorElementType(info, &et), codes::kModelLoad, "element type");
        t.type = type_name(et);
        size_t rank = 0;
        check(api->GetDimensionsCount(info, &rank), codes::kModelLoad, "rank");
        t.shape.resize(rank);
        check(api->GetDimensions(info, t.shape.data(), rank), codes::kModelLoad, "dimensions");
        for (auto& d : t.shape)
          if (d < 0) d = -1;
      }
      into.push_back(std::move(t));
    }
  }

  const Runtime& rt_;
  OrtSession* session_ = nullptr;
  OrtMemoryInfo* memory_ = nullptr;
  std::vector<OrtValue*> weight_values_;
};

// The tensors over BoundRun's buffers and the names to run them by, made once.
struct BoundRun::Values {
  const OrtApi* api = nullptr;
  std::vector<std::string> names;  // inputs, then outputs
  std::vector<const char*> in_names, out_names;
  std::vector<OrtValue*> in, out;
  ~Values() {
    for (OrtValue* v : in)
      if (v) api->ReleaseValue(v);
    for (OrtValue* v : out)
      if (v) api->ReleaseValue(v);
  }
};

BoundRun::BoundRun(std::shared_ptr<Session> session, const std::vector<Tensor>& inputs,
                   const std::vector<Tensor>& outputs, int64_t rows)
    : session_(std::move(session)), rows_(rows), values_(std::make_unique<Values>()) {
  if (!session_) throw Error(codes::kInvalidArgument, "session is missing");
  Values& v = *values_;
  v.api = session_->rt_.api;
  const OrtApi* api = v.api;
  for (const auto& t : inputs) v.names.push_back(t.name);
  for (const auto& t : outputs) v.names.push_back(t.name);
  for (size_t k = 0; k < v.names.size(); ++k)
    (k < inputs.size() ? v.in_names : v.out_names).push_back(v.names[k].c_str());
  v.in.assign(inputs.size(), nullptr);
  v.out.assign(outputs.size(), nullptr);
  auto bind = [&](const Tensor& t, std::vector<float>& buffer, OrtValue** value) {
    if (rows <= 0 || t.width <= 0)
      throw Error(codes::kInvalidArgument, "model tensor '" + t.name + "' needs a positive shape");
    const int64_t count = checked_elements("model tensor", {rows, t.width});
    buffer.assign(static_cast<size_t>(count), 0.0f);
    const int64_t shape2[2] = {rows, t.width};
    const int64_t shape3[3] = {1, rows, t.width};
    check(api->CreateTensorWithDataAsOrtValue(session_->memory_, buffer.data(), buffer.size() * sizeof(float),
                                              t.leading_one ? shape3 : shape2, t.leading_one ? 3 : 2,
                                              ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, value),
          codes::kModelRun, "cannot make tensor '" + t.name + "'");
  };
  in_.resize(inputs.size());
  out_.resize(outputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) bind(inputs[k], in_[k], &v.in[k]);
  for (size_t k = 0; k < outputs.size(); ++k) bind(outputs[k], out_[k], &v.out[k]);
}

BoundRun::~BoundRun() = default;

size_t BoundRun::bytes() const {
  size_t n = 0;
  for (const auto& b : in_) n += b.size() * sizeof(float);
  for (const auto& b : out_) n += b.size() * sizeof(float);
  return n;
}

void BoundRun::run() {
  Values& v = *values_;
  // The message is built only on failure: a string per step costs an allocation.
  if (OrtStatus* st = v.api->Run(session_->session_, nullptr, v.in_names.data(), v.in.data(), v.in.size(),
                                 v.out_names.data(), v.out.size(), v.out.data()))
    check(st, codes::kModelRun, "the model failed to run");
}

namespace {

// A model path must name a regular file of at most 2 GiB (protobuf's limit):
// the runtime would read a device until memory runs out, and block for ever
// on a FIFO. Opened without blocking so that a FIFO cannot hang the check.
void check_model_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) throw Error(codes::kModelLoad, "cannot open the model " + path + ": " + std::strerror(errno));
  struct stat st {};
  const int r = ::fstat(fd, &st);
  const int saved = errno;
  ::close(fd);
  if (r != 0) throw Error(codes::kModelLoad, "cannot stat the model " + path + ": " + std::strerror(saved));
  if (!S_ISREG(st.st_mode)) throw Error(codes::kModelLoad, "the model " + path + " is not a regular file");
  if (st.st_size > static_cast<off_t>(limits::kMaxModelBytes)) throw Error(codes::kTooLarge, "the model " + path + " is larger than 2 GiB");
}

}  // namespace

std::shared_ptr<Session> open_session(const std::string& path, const SessionOptions& options) {
  check_model_file(path);
  return std::make_shared<Session>(nullptr, 0, &path, options);
}

std::shared_ptr<Session> open_session(const std::vector<uint8_t>& bytes, const SessionOptions& options) {
  if (bytes.empty()) throw Error(codes::kModelLoad, "the model bytes are empty");
  return std::make_shared<Session>(bytes.data(), bytes.size(), nullptr, options);
}

const std::vector<TensorInfo>& session_inputs(const Session& s) { return s.inputs_; }
const std::vector<TensorInfo>& session_outputs(const Session& s) { return s.outputs_; }
const std::vector<TensorInfo>& session_weights(const Session& s) { return s.weights_; }
float* session_weight_data(Session& s, size_t k) { return k < s.weight_data_.size() ? s.weight_data_[k].data() : nullptr; }

void run_session(const Session& s, const std::vector<const char*>& in_names, const std::vector<const float*>& inputs,
                 const std::vector<std::vector<int64_t>>& in_shapes, const std::vector<const char*>& out_names,
                 const std::vector<float*>& outputs, const std::vector<std::vector<int64_t>>& out_shapes) {
  s.run(in_names, inputs, in_shapes, out_names, outputs, out_shapes);
}

#else  // built without ONNX Runtime headers

class Session {
 public:
  std::vector<TensorInfo> inputs_, outputs_, weights_;
};

namespace {
[[noreturn]] void unavailable() {
  throw Error(codes::kBackendUnavailable, "ONNX Runtime is unavailable: " + runtime_status().reason);
}
}  // namespace

std::shared_ptr<Session> open_session(const std::string&, const SessionOptions&) { unavailable(); }
std::shared_ptr<Session> open_session(const std::vector<uint8_t>&, const SessionOptions&) { unavailable(); }
const std::vector<TensorInfo>& session_inputs(const Session& s) { return s.inputs_; }
const std::vector<TensorInfo>& session_outputs(const Session& s) { return s.outputs_; }
const std::vector<TensorInfo>& session_weights(const Session& s) { return s.weights_; }
float* session_weight_data(Session&, size_t) { return nullptr; }
void run_session(const Session&, const std::vector<const char*>&, const std::vector<const float*>&,
                 const std::vector<std::vector<int64_t>>&, const std::vector<const char*>&, const std::vector<float*>&,
                 const std::vector<std::vector<int64_t>>&) {
  unavailable();
}

struct BoundRun::Values {};
BoundRun::BoundRun(std::shared_ptr<Session>, const std::vector<Tensor>&, const std::vector<Tensor>&, int64_t)
    : rows_(0) {
  unavailable();
}
BoundRun::~BoundRun() = default;
size_t BoundRun::bytes() const { return 0; }
void BoundRun::run() { unavailable(); }

#endif

}  // namespace dilemma::onnx
