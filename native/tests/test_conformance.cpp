// Conformance of every registered game (the registry, not a hand list); the
// checks are in conformance.hpp. Small batches and one episode each keep it
// to well under a second, also under the sanitizers.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "../core/game.hpp"
#include "check.hpp"
#include "conformance.hpp"

using dilemma::game_ids;

TEST("conformance: every registered game plays, ends in bounds and sums its rewards") {
  CHECK(!game_ids().empty());
  for (const auto& id : game_ids()) conformance::check_plays(id);
}

TEST("conformance: the same seed reproduces every game bit for bit") {
  for (const auto& id : game_ids()) conformance::check_reproduces(id);
}

TEST("conformance: range steps equal per-environment steps in every game") {
  for (const auto& id : game_ids()) conformance::check_range_steps(id);
}

TEST("conformance: declared layouts lie inside the observation and the action space") {
  for (const auto& id : game_ids()) conformance::check_layout(id);
}

// Each game registers itself with a static object that nothing references;
// this fails for any build (static archive, sanitizers) whose linker dropped one.
TEST("registry: every registrar in native/core/games is linked in") {
  namespace fs = std::filesystem;
  const std::regex registrar(R"(GameRegistrar\s+\w+\(\s*"([^"]+)\")");
  std::vector<std::string> declared;
  for (const auto& entry : fs::directory_iterator(fs::path(DILEMMA_TEST_DATA) / ".." / ".." / "core" / "games")) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator m(text.begin(), text.end(), registrar), end; m != end; ++m) declared.push_back((*m)[1]);
  }
  CHECK(declared.size() >= 7);
  const auto& ids = game_ids();
  for (const auto& id : declared)
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) dtest::fail(__FILE__, __LINE__, "game '" + id + "' is not registered");
  CHECK_EQ(ids.size(), declared.size());
}
