// The scripted trust-and-split agents on hand-built states: each agent's
// message and proposal at each step of a round, the honest reciprocator's
// one-round punishments, the liar's claims, and the games each agent refuses.
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/game.hpp"
#include "../core/games/trust_and_split.hpp"
#include "../core/policy.hpp"
#include "../core/rollout.hpp"
#include "check.hpp"

using namespace dilemma;
namespace ts = dilemma::trust_and_split;

namespace {
Params P(std::map<std::string, ParamValue> v = {}) { return Params("params", std::move(v)); }

std::shared_ptr<const Game> tas(std::map<std::string, ParamValue> v = {}) { return make_game("trust-and-split", P(std::move(v))); }

using State = std::array<int32_t, ts::kStateSize>;

// Round 0 (or any round) with the given hands, no messages yet, no last round.
State fresh(const Game& g, int hand0, int hand1) {
  State s{};
  g.reset(s.data(), EnvDraw{1, 0, 0, 0});
  s[ts::kHand] = hand0;
  s[ts::kHand + 1] = hand1;
  return s;
}

// Sets last round's revealed facts for both agents.
void last_round(State& s, int hand0, int hand1, int msg0, int msg1, int x0, int x1) {
  s[ts::kLastHand] = hand0;
  s[ts::kLastHand + 1] = hand1;
  s[ts::kLastMessage] = msg0;
  s[ts::kLastMessage + 1] = msg1;
  s[ts::kLastProposal] = x0;
  s[ts::kLastProposal + 1] = x1;
}

int act(const std::string& name, const Game& g, const State& s, int t, int agent) {
  return trust_and_split_agent_action(name, g, s.data(), t, agent);
}

// Default vocabulary: claim-rock 0, claim-paper 1, claim-scissors 2, take-0 3,
// take-2 4, take-5 5, take-8 6, take-10 7, none 8; proposal x at 9 + x; wait 20.
constexpr int kClaimRock = 0, kClaimPaper = 1, kClaimScissors = 2, kTake5 = 5, kTake10 = 7, kNone = 8, kWait = 20;
int X(int x) { return 9 + x; }
const int kClaim[3] = {kClaimRock, kClaimPaper, kClaimScissors};

const char* const kNames[] = {"greedy-splitter", "welfare-splitter", "honest-reciprocator", "liar"};

std::string thrown_message(const std::function<void()>& f, const char* code) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(std::string(e.code()) == std::string(code));
    return e.what();
  }
  dtest::fail(__FILE__, __LINE__, "expected a throw");
  return "";
}
// This round's hands and the messages already sent.
void this_round(State& s, int hand0, int hand1, int msg0, int msg1) {
  s[ts::kHand] = hand0;
  s[ts::kHand + 1] = hand1;
  s[ts::kMessage] = msg0;
  s[ts::kMessage + 1] = msg1;
}
}  // namespace

TEST("trust-and-split agents: registered with the strategies, unknown names still rejected") {
  const auto& names = strategy_names();
  for (const char* n : kNames) {
    CHECK(std::find(names.begin(), names.end(), std::string(n)) != names.end());
    CHECK(make_strategy(n, P())->name() == std::string(n));
  }
  CHECK_EQ(trust_and_split_agent_names().size(), size_t{4});
  CHECK(make_trust_and_split_agent("tit-for-tat", P()) == nullptr);
  CHECK_THROWS_CODE(make_strategy("honest-liar", P()), codes::kUnknownStrategy);
  CHECK_THROWS_CODE(make_strategy("liar", P({{"p", 0.5}})), codes::kInvalidParam);
}

TEST("trust-and-split agents: the wrong game is ERR_UNSUPPORTED naming it, both ways") {
  auto ipd = make_game("ipd", P());
  auto g = tas();
  for (const char* n : kNames) {
    auto p = make_strategy(n, P());
    const std::string what = thrown_message([&] { p->check(*ipd, 0); }, codes::kUnsupported);
    CHECK(what.find("'ipd'") != std::string::npos);
    CHECK(what.find(n) != std::string::npos);
    p->check(*g, 0);
    p->check(*g, 1);
    const State s = fresh(*g, ts::kRock, ts::kPaper);
    CHECK_THROWS_CODE(trust_and_split_agent_action(n, *ipd, s.data(), 0, 0), codes::kUnsupported);
  }
  for (const char* n : {"always-cooperate", "always-defect", "tit-for-tat", "grim-trigger", "random"}) {
    auto p = make_strategy(n, P());
    const std::string what = thrown_message([&] { p->check(*g, 0); }, codes::kUnsupported);
    CHECK(what.find("'trust-and-split'") != std::string::npos);
  }
}

TEST("greedy splitter: says take-all, waits when not speaking, proposes every coin") {
  auto g = tas();
  State s = fresh(*g, ts::kRock, ts::kScissors);
  // Round 0: agent 0 speaks at step 0, agent 1 at step 1, both propose at step 2.
  CHECK_EQ(act("greedy-splitter", *g, s, 0, 0), kTake10);
  CHECK_EQ(act("greedy-splitter", *g, s, 0, 1), kWait);
  s[ts::kMessage] = kTake10;
  CHECK_EQ(act("greedy-splitter", *g, s, 1, 0), kWait);
  CHECK_EQ(act("greedy-splitter", *g, s, 1, 1), kTake10);
  s[ts::kMessage + 1] = kTake10;
  CHECK_EQ(act("greedy-splitter", *g, s, 2, 0), X(10));
  CHECK_EQ(act("greedy-splitter", *g, s, 2, 1), X(10));
  // Round 1: agent 1 speaks first.
  State r1 = fresh(*g, ts::kPaper, ts::kRock);
  CHECK_EQ(act("greedy-splitter", *g, r1, 3, 0), kWait);
  CHECK_EQ(act("greedy-splitter", *g, r1, 3, 1), kTake10);
  CHECK_EQ(act("greedy-splitter", *g, r1, 4, 0), kTake10);
  CHECK_EQ(act("greedy-splitter", *g, r1, 4, 1), kWait);
  // Without take-<coins> in the vocabulary it says none; without none, the first token.
  auto claims = tas({{"messages", std::string("claims")}});  // claims 0..2, none 3; proposals 4..14; wait 15
  CHECK_EQ(act("greedy-splitter", *claims, fresh(*claims, 0, 1), 0, 0), 3);
  CHECK_EQ(act("greedy-splitter", *claims, fresh(*claims, 0, 1), 2, 1), 14);
  auto bare = tas({{"messages", std::string("claim-paper take-3")}, {"coins", 6.0}});
  CHECK_EQ(act("greedy-splitter", *bare, fresh(*bare, 0, 1), 0, 0), 0);
  CHECK_EQ(act("greedy-splitter", *bare, fresh(*bare, 0, 1), 2, 0), 2 + 6);
}

TEST("welfare splitter: claims its hand, trusts claims: all, nothing or half") {
  auto g = tas();
  for (int h0 = 0; h0 < 3; ++h0)
    for (int h1 = 0; h1 < 3; ++h1) {
      if (h0 == h1) continue;
      State s = fresh(*g, h0, h1);
      CHECK_EQ(act("welfare-splitter", *g, s, 0, 0), kClaim[h0]);
      CHECK_EQ(act("welfare-splitter", *g, s, 0, 1), kWait);
      s[ts::kMessage] = kClaim[h0];
      CHECK_EQ(act("welfare-splitter", *g, s, 1, 1), kClaim[h1]);
      CHECK_EQ(act("welfare-splitter", *g, s, 1, 0), kWait);
      s[ts::kMessage + 1] = kClaim[h1];
      // Honest claims: the winner asks for all 10 coins, the loser for none.
      const bool w0 = ts::beats(h0, h1);
      CHECK_EQ(act("welfare-splitter", *g, s, 2, 0), X(w0 ? 10 : 0));
      CHECK_EQ(act("welfare-splitter", *g, s, 2, 1), X(w0 ? 0 : 10));
    }
  // It trusts a lie: rock against a claimed scissors takes everything even if the other holds paper.
  State s = fresh(*g, ts::kRock, ts::kPaper);
  s[ts::kMessage + 1] = kClaimScissors;
  CHECK_EQ(act("welfare-splitter", *g, s, 2, 0), X(10));
  s[ts::kMessage + 1] = kClaimPaper;
  CHECK_EQ(act("welfare-splitter", *g, s, 2, 0), X(0));
  // No usable claim (nothing, a take, or a claim of its own hand): half.
  for (int m : {-1, kTake5, kNone, kClaimRock}) {
    s[ts::kMessage + 1] = m;
    CHECK_EQ(act("welfare-splitter", *g, s, 2, 0), X(5));
  }
  auto odd = tas({{"coins", 7.0}});  // 9 tokens, proposals 9..16
  State o = fresh(*odd, ts::kRock, ts::kPaper);
  CHECK_EQ(act("welfare-splitter", *odd, o, 2, 0), 9 + 3);
}

TEST("honest reciprocator: trusting split while the other behaves") {
  auto g = tas();
  State s = fresh(*g, ts::kScissors, ts::kPaper);
  CHECK_EQ(act("honest-reciprocator", *g, s, 0, 0), kClaimScissors);
  CHECK_EQ(act("honest-reciprocator", *g, s, 0, 1), kWait);
  s[ts::kMessage] = kClaimScissors;
  CHECK_EQ(act("honest-reciprocator", *g, s, 1, 1), kClaimPaper);
  s[ts::kMessage + 1] = kClaimPaper;
  CHECK_EQ(act("honest-reciprocator", *g, s, 2, 0), X(10));
  CHECK_EQ(act("honest-reciprocator", *g, s, 2, 1), X(0));
  // After an honest round with a welfare split (loser proposed 0), still trusting.
  State r1 = fresh(*g, ts::kRock, ts::kPaper);
  last_round(r1, ts::kScissors, ts::kPaper, kClaimScissors, kClaimPaper, 10, 0);
  r1[ts::kMessage] = kClaimRock;
  r1[ts::kMessage + 1] = kClaimPaper;
  CHECK_EQ(act("honest-reciprocator", *g, r1, 5, 0), X(0));
  CHECK_EQ(act("honest-reciprocator", *g, r1, 5, 1), X(10));
  // The other won last round and took everything: not a grab.
  last_round(r1, ts::kPaper, ts::kScissors, kClaimPaper, kClaimScissors, 0, 10);
  CHECK_EQ(act("honest-reciprocator", *g, r1, 5, 0), X(0));
  // Silence is not a lie.
  last_round(r1, ts::kPaper, ts::kScissors, kNone, -1, 0, 10);
  CHECK_EQ(act("honest-reciprocator", *g, r1, 5, 0), X(0));
}

TEST("honest reciprocator: punishes one round after a lie, then trusts again") {
  auto g = tas();
  // Round 0, played through the game: agent 1 holds paper but claims scissors;
  // agent 0 (rock) trusts the claim and asks for 10; agent 1 asks for 10 too.
  State s = fresh(*g, ts::kRock, ts::kPaper);
  const std::string hr = "honest-reciprocator";
  float r[2];
  int32_t a[2] = {act(hr, *g, s, 0, 0), kWait};
  CHECK_EQ(a[0], kClaimRock);
  g->step(s.data(), 0, a, r, EnvDraw{3, 0, 0, 0});
  a[0] = act(hr, *g, s, 1, 0);
  a[1] = kClaimScissors;
  CHECK_EQ(a[0], kWait);
  g->step(s.data(), 1, a, r, EnvDraw{3, 0, 0, 1});
  a[0] = act(hr, *g, s, 2, 0);
  a[1] = X(10);
  CHECK_EQ(a[0], X(10));
  g->step(s.data(), 2, a, r, EnvDraw{3, 0, 0, 2});
  // Round 1 (agent 1 speaks first): hands set by hand; agent 1 now claims the truth and wins.
  s[ts::kHand] = ts::kRock;
  s[ts::kHand + 1] = ts::kPaper;
  a[0] = act(hr, *g, s, 3, 0);
  a[1] = kClaimPaper;
  CHECK_EQ(a[0], kWait);
  g->step(s.data(), 3, a, r, EnvDraw{3, 0, 0, 3});
  a[0] = act(hr, *g, s, 4, 0);
  a[1] = kWait;
  CHECK_EQ(a[0], kClaimRock);  // it still tells its hand while punishing
  g->step(s.data(), 4, a, r, EnvDraw{3, 0, 0, 4});
  // The trusting split would be 0 (claimed paper beats rock); the punishment is all coins.
  a[0] = act(hr, *g, s, 5, 0);
  a[1] = X(10);
  CHECK_EQ(a[0], X(10));
  g->step(s.data(), 5, a, r, EnvDraw{3, 0, 0, 5});
  // Round 2: agent 1 was honest and won in round 1, so no punishment: back to trusting.
  this_round(s, ts::kRock, ts::kPaper, kClaimRock, kClaimPaper);
  CHECK_EQ(act(hr, *g, s, 8, 0), X(0));
}

TEST("honest reciprocator: punishes one round after a grab, then trusts again") {
  auto g = tas();
  const std::string hr = "honest-reciprocator";
  // Last round the other (agent 0) held paper against the reciprocator's scissors,
  // claimed paper honestly and still proposed 3: a grab.
  State s = fresh(*g, ts::kRock, ts::kScissors);
  last_round(s, ts::kPaper, ts::kScissors, kClaimPaper, kClaimScissors, 3, 10);
  s[ts::kMessage] = kClaimRock;
  s[ts::kMessage + 1] = kClaimScissors;
  // Trusting, agent 1 (scissors vs claimed rock) would propose 0; it punishes with 10.
  CHECK_EQ(act(hr, *g, s, 5, 1), X(10));
  // The same round without the grab (loser proposed 0): trusting.
  last_round(s, ts::kPaper, ts::kScissors, kClaimPaper, kClaimScissors, 0, 10);
  CHECK_EQ(act(hr, *g, s, 5, 1), X(0));
  // Played through the game: the grab round, the punished round, then trust.
  State p = fresh(*g, ts::kPaper, ts::kScissors);  // agent 1 (reciprocator) wins round 0
  float r[2];
  int32_t a[2] = {kClaimPaper, act(hr, *g, p, 0, 1)};
  CHECK_EQ(a[1], kWait);
  g->step(p.data(), 0, a, r, EnvDraw{4, 0, 0, 0});
  a[0] = kWait;
  a[1] = act(hr, *g, p, 1, 1);
  CHECK_EQ(a[1], kClaimScissors);
  g->step(p.data(), 1, a, r, EnvDraw{4, 0, 0, 1});
  a[0] = X(4);  // the loser grabs 4
  a[1] = act(hr, *g, p, 2, 1);
  CHECK_EQ(a[1], X(10));
  g->step(p.data(), 2, a, r, EnvDraw{4, 0, 0, 2});
  CHECK_CLOSE(r[1], 10.0 * 10.0 * 10 / 14, 1e-6, 0);  // 10 of 14 asked for, scaled to 10 coins, worth 10 each
  CHECK_CLOSE(r[0], 1.0 * 10.0 * 4 / 14, 1e-6, 0);
  // Round 1: the reciprocator (agent 1) loses by the claims, yet proposes all coins.
  this_round(p, ts::kRock, ts::kScissors, kClaimRock, kClaimScissors);
  CHECK_EQ(act(hr, *g, p, 5, 1), X(10));
  a[0] = X(10);
  a[1] = X(10);
  g->step(p.data(), 5, a, r, EnvDraw{4, 0, 0, 5});
  // Round 2: in round 1 the other won and proposed 10 (no grab), told the truth: trust.
  this_round(p, ts::kRock, ts::kScissors, kClaimRock, kClaimScissors);
  CHECK_EQ(act(hr, *g, p, 8, 1), X(0));
}

TEST("liar: beats the other's claim when it spoke first, else beats its own hand") {
  auto g = tas();
  for (int h = 0; h < 3; ++h) {
    State s = fresh(*g, h, (h + 1) % 3);
    // First speaker: the hand that beats its own (paper for rock, scissors for paper, rock for scissors).
    CHECK_EQ(act("liar", *g, s, 0, 0), kClaim[(h + 1) % 3]);
    CHECK_EQ(act("liar", *g, s, 0, 1), kWait);
    // Second speaker, after each possible claim: the hand that beats it (maybe its real hand).
    for (int c = 0; c < 3; ++c) {
      s[ts::kMessage] = kClaim[c];
      CHECK_EQ(act("liar", *g, s, 1, 1), kClaim[(c + 1) % 3]);
    }
    // Second speaker after a message that is no claim: beats its own hand.
    for (int m : {kTake5, kNone}) {
      s[ts::kMessage] = m;
      CHECK_EQ(act("liar", *g, s, 1, 1), kClaim[((h + 1) % 3 + 1) % 3]);
    }
    CHECK_EQ(act("liar", *g, s, 2, 0), X(10));
    CHECK_EQ(act("liar", *g, s, 2, 1), X(10));
  }
  // Round 1: agent 1 speaks first, agent 0 second.
  State s = fresh(*g, ts::kScissors, ts::kRock);
  CHECK_EQ(act("liar", *g, s, 3, 1), kClaimPaper);
  CHECK_EQ(act("liar", *g, s, 3, 0), kWait);
  s[ts::kMessage + 1] = kClaimPaper;
  CHECK_EQ(act("liar", *g, s, 4, 0), kClaimScissors);  // the truth, as it happens
  CHECK_EQ(act("liar", *g, s, 4, 1), kWait);
}

TEST("trust-and-split agents: rollouts play legal actions with log-probability 0 and entropy 0") {
  auto g = tas();
  const int64_t batch = 16;
  for (const char* a : kNames)
    for (const char* b : kNames) {
      RolloutOptions o;
      o.batch = batch;
      o.seed = 11;
      const auto n = trajectory_sizes(*g, o);
      std::vector<float> obs(n.obs), logp(n.per_agent), ent(n.per_agent), rew(n.per_agent);
      std::vector<int32_t> actions(n.per_agent);
      std::vector<uint8_t> dones(n.per_step), mask(n.per_step);
      rollout(g, {make_strategy(a, P()), make_strategy(b, P())}, o,
              {obs.data(), actions.data(), logp.data(), ent.data(), rew.data(), dones.data(), mask.data()});
      const int steps = g->info().max_steps;
      for (int64_t row = 0; row < batch; ++row)
        for (int t = 0; t < steps; ++t)
          for (int k = 0; k < 2; ++k) {
            const int64_t i = (row * steps + t) * 2 + k;
            const int act_ = actions[i];
            const int who = t % 3 == 2 ? -1 : ((t / 3) % 2 == 0 ? (t % 3 == 0 ? 0 : 1) : (t % 3 == 0 ? 1 : 0));
            if (who < 0) CHECK(act_ >= X(0) && act_ <= X(10));
            else if (who == k) CHECK(act_ >= 0 && act_ <= kNone);
            else CHECK_EQ(act_, kWait);
            CHECK_EQ(logp[i], 0.0f);
            CHECK_EQ(ent[i], 0.0f);
          }
    }
}
