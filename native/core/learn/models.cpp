// make_model: the registry of trainable model kinds.
#include <utility>

#include "model_kinds.hpp"

namespace dilemma::learn {
namespace {

using Factory = std::shared_ptr<const Model> (*)(int, int, const Params&);

constexpr std::pair<const char*, Factory> kKinds[] = {
    {"tabular", make_tabular},
    {"mlp", make_mlp},
    {"gru", make_gru},
};

void check_dim(const char* name, int value) {
  if (value < 1 || value > kMaxDim)
    throw Error(codes::kInvalidArgument, std::string(name) + " must be an integer in [1, " + std::to_string(kMaxDim) +
                                             "], got " + std::to_string(value));
}

}  // namespace

std::shared_ptr<const Model> make_model(const std::string& kind, int obs_dim, int actions, const Params& params) {
  for (const auto& [name, factory] : kKinds) {
    if (kind != name) continue;
    check_dim("obs_dim", obs_dim);
    check_dim("actions", actions);
    auto model = factory(obs_dim, actions, params);
    params.reject_unknown();
    return model;
  }
  std::string known;
  for (const auto& entry : kKinds) known += (known.empty() ? "" : ", ") + std::string(entry.first);
  throw Error(codes::kInvalidArgument, "model kind '" + kind + "' is unknown (known: " + known + ")");
}

}  // namespace dilemma::learn
