#include "game.hpp"

#include <algorithm>
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
// Filled by the GameRegistrar objects of the game files during static
// initialisation, so it is built on first use whatever order those run in.
struct Registry {
  std::vector<GameRegistrar::Entry> games;
  std::string duplicate;  // an id registered twice, reported on every lookup
};

Registry& registry() {
  static Registry r;
  return r;
}

const std::vector<GameRegistrar::Entry>& entries() {
  const Registry& r = registry();
  if (!r.duplicate.empty()) throw Error(codes::kInternal, "game '" + r.duplicate + "' is registered twice");
  return r.games;
}

const GameRegistrar::Entry& registered(const std::string& id) {
  for (const auto& g : entries())
    if (g.id == id) return g;
  std::string known;
  for (const auto& name : game_ids()) known += (known.empty() ? "" : ", ") + name;
  throw Error(codes::kUnknownGame, "unknown game '" + id + "' (known: " + known + ")");
}
}  // namespace

GameRegistrar::GameRegistrar(const char* id, const char* doc, const ParamSpecs& (*params)(), Factory make) {
  Registry& r = registry();
  // Sorted by id: static initialisation runs in link order, which differs
  // between builds, and the listing must not.
  auto at = std::lower_bound(r.games.begin(), r.games.end(), id,
                             [](const Entry& e, const char* key) { return e.id < key; });
  if (at != r.games.end() && at->id == id) {
    r.duplicate = id;
    return;
  }
  r.games.insert(at, Entry{id, doc, params, make});
}

const std::vector<std::string>& game_ids() {
  // Every registrar has run before main (and before an addon's first call).
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> out;
    for (const auto& g : entries()) out.push_back(g.id);
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
