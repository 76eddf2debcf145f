#include "game.hpp"

#include <functional>
#include <utility>
#include <vector>

#include "error.hpp"

namespace dilemma {

LastMoves Game::last_moves(const int32_t*, int, int) const {
  throw Error(codes::kUnsupported, "game '" + info_.id + "' is not a two-action game");
}

bool Game::payoff_table(int, double*, double*) const { return false; }

void Game::legal_actions(const int32_t*, int, int, uint8_t* mask) const {
  for (int i = 0; i < info_.actions; ++i) mask[i] = 1;
}

namespace {
using Factory = std::function<std::shared_ptr<const Game>(const Params&)>;

const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> games = {
      {"matrix", [](const Params& p) { return make_matrix_game(p); }},
      {"ipd",
       [](const Params& p) {
         if (p.has("preset")) throw Error(codes::kInvalidParam, p.owner() + ".preset is fixed to prisoners-dilemma for 'ipd'; use 'matrix' for other presets");
         return make_matrix_game(p, "ipd");
       }},
      {"public-goods", make_public_goods_game},
      {"coin", make_coin_game},
      {"negotiation", make_negotiation_game},
      {"split", make_split_game},
      {"trust-and-split", make_trust_and_split_game},
  };
  return games;
}
}  // namespace

const std::vector<std::string>& game_ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> out;
    for (const auto& [id, factory] : registry()) out.push_back(id);
    return out;
  }();
  return ids;
}

std::shared_ptr<const Game> make_game(const std::string& id, const Params& params) {
  for (const auto& [name, factory] : registry()) {
    if (name != id) continue;
    auto game = factory(params);
    params.reject_unknown();
    return game;
  }
  std::string known;
  for (const auto& name : game_ids()) known += (known.empty() ? "" : ", ") + name;
  throw Error(codes::kUnknownGame, "unknown game '" + id + "' (known: " + known + ")");
}

}  // namespace dilemma
