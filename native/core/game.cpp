#include "game.hpp"

#include <functional>
#include <utility>
#include <vector>

#include "error.hpp"
#include "limits.hpp"

namespace dilemma {

LastMoves Game::last_moves(const int32_t*, int, int) const {
  throw Error(codes::kUnsupported, "game '" + info_.id + "' is not a two-action game");
}

bool Game::payoff_table(int, double*, double*) const { return false; }

void Game::legal_actions(const int32_t*, int, int, uint8_t* mask) const {
  for (int i = 0; i < info_.actions; ++i) mask[i] = 1;
}

void Game::reset_range(const EnvRange& r) const {
  for (int64_t b = r.b0; b < r.b1; ++b) reset(r.at(b), r.draw(b));
}

void Game::observe_range(const EnvRange& r, float* obs, int64_t obs_stride) const {
  const int agents = info_.agents, dim = info_.obs_dim;
  for (int64_t b = r.b0; b < r.b1; ++b) {
    if (r.finished(b)) continue;
    for (int a = 0; a < agents; ++a) observe(r.at(b), r.t[b], a, obs + b * obs_stride + a * dim);
  }
}

void Game::step_range(const EnvRange& r, const int32_t* actions, int64_t stride, float* rewards,
                      uint8_t* ended) const {
  for (int64_t b = r.b0; b < r.b1; ++b) {
    if (r.finished(b)) continue;
    ended[b] = step(r.at(b), r.t[b], actions + b * stride, rewards + b * stride, r.draw(b));
  }
}

void Game::last_moves_range(const EnvRange& r, int agent, int8_t* own, int8_t* other) const {
  for (int64_t b = r.b0; b < r.b1; ++b) {
    const LastMoves m = last_moves(r.at(b), r.t[b], agent);
    own[b - r.b0] = static_cast<int8_t>(m.own);
    other[b - r.b0] = static_cast<int8_t>(m.other);
  }
}

ParamSpec rounds_param(int fallback, std::string doc) {
  return ParamSpec::integer("rounds", fallback, 1, limits::kMaxRounds, std::move(doc));
}

namespace {
using Factory = std::function<std::shared_ptr<const Game>(const Params&)>;

struct Registered {
  std::string id;
  Factory make;
  const ParamSpecs& (*params)();
  const char* doc;
};

const std::vector<Registered>& registry() {
  static const std::vector<Registered> games = {
      {"matrix", [](const Params& p) { return make_matrix_game(p); }, matrix_game_params,
       "a repeated 2x2 game (action 0 cooperates)"},
      {"ipd",
       [](const Params& p) {
         if (p.has("preset")) throw Error(codes::kInvalidParam, p.owner() + ".preset is fixed to prisoners-dilemma for 'ipd'; use 'matrix' for other presets");
         return make_matrix_game(p, "ipd");
       },
       ipd_game_params, "the iterated prisoner's dilemma (CC 3/3, CD 0/5, DC 5/0, DD 1/1; action 0 cooperates)"},
      {"public-goods", make_public_goods_game, public_goods_game_params, "an n-player repeated public goods game"},
      {"coin", make_coin_game, coin_game_params, "the two-agent coin game on a toroidal grid"},
      {"negotiation", make_negotiation_game, negotiation_game_params,
       "item-by-item negotiation with private utilities"},
      {"split", make_split_game, split_game_params, "item splitting with public values"},
      {"trust-and-split", make_trust_and_split_game, trust_and_split_game_params,
       "cheap-talk messages, then a split of coins whose values follow a rock-paper-scissors round"},
  };
  return games;
}

const Registered& registered(const std::string& id) {
  for (const auto& g : registry())
    if (g.id == id) return g;
  std::string known;
  for (const auto& name : game_ids()) known += (known.empty() ? "" : ", ") + name;
  throw Error(codes::kUnknownGame, "unknown game '" + id + "' (known: " + known + ")");
}
}  // namespace

const std::vector<std::string>& game_ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> out;
    for (const auto& g : registry()) out.push_back(g.id);
    return out;
  }();
  return ids;
}

const ParamSpecs& game_params(const std::string& id) { return registered(id).params(); }

std::string game_doc(const std::string& id) { return registered(id).doc; }

std::shared_ptr<const Game> make_game(const std::string& id, const Params& params) {
  auto game = registered(id).make(params);
  params.reject_unknown();
  return game;
}

}  // namespace dilemma
