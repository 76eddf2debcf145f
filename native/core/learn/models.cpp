// make_model: the registry of trainable model kinds and their parameters.
#include <utility>

#include "model_kinds.hpp"

namespace dilemma::learn {
namespace {

using Factory = std::shared_ptr<const Model> (*)(int, int, const Params&);

struct Kind {
  const char* name;
  Factory factory;
  ParamSpecs params;
};

// Layers an MLP may have: the ONNX writer's limit, like kMaxDim.
constexpr int kMaxLayers = 16;

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> k = {
      {"tabular",
       make_tabular,
       {ParamSpec::integer("blocks", 1, 1, kMaxDim,
                           "One-hot blocks in the observation (must divide obsDim): a table row per combination of "
                           "the blocks' hot positions.")}},
      {"mlp",
       make_mlp,
       {ParamSpec::integers("hidden", {64}, kMaxLayers, 1, kMaxDim, "Hidden layer widths, input side first; [] is linear."),
        ParamSpec::choice("activation", "tanh", {"tanh", "relu"}, "Nonlinearity after each hidden layer.")}},
      {"gru", make_gru, {ParamSpec::integer("hidden", 32, 1, kMaxDim, "Width of the GRU state.")}},
  };
  return k;
}

void check_dim(const char* name, int value) {
  if (value < 1 || value > kMaxDim)
    throw Error(codes::kInvalidArgument, std::string(name) + " must be an integer in [1, " + std::to_string(kMaxDim) +
                                             "], got " + std::to_string(value));
}

[[noreturn]] void unknown_kind(const std::string& kind) {
  std::string known;
  for (const auto& entry : kinds()) known += (known.empty() ? "" : ", ") + std::string(entry.name);
  throw Error(codes::kInvalidArgument, "model kind '" + kind + "' is unknown (known: " + known + ")");
}

}  // namespace

std::vector<std::string> model_kind_names() {
  std::vector<std::string> names;
  for (const auto& entry : kinds()) names.emplace_back(entry.name);
  return names;
}

const ParamSpecs& model_param_specs(const std::string& kind) {
  for (const auto& entry : kinds())
    if (kind == entry.name) return entry.params;
  unknown_kind(kind);
}

std::shared_ptr<const Model> make_model(const std::string& kind, int obs_dim, int actions, const Params& params) {
  for (const auto& entry : kinds()) {
    if (kind != entry.name) continue;
    check_dim("obs_dim", obs_dim);
    check_dim("actions", actions);
    auto model = entry.factory(obs_dim, actions, params);
    params.reject_unknown();
    return model;
  }
  unknown_kind(kind);
}

}  // namespace dilemma::learn
