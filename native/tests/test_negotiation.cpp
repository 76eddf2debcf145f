// The splitting games by hand: trust-and-split, split and negotiation.
// States are set slot by slot and every payoff below is worked out from the
// rules on paper (q_i = coins * x_i / max(coins, x_0 + x_1), reward = q_i
// times the agent's value), not from the code under test.
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../core/env.hpp"
#include "../core/error.hpp"
#include "../core/game.hpp"
#include "../core/games/trust_and_split.hpp"
#include "check.hpp"

using namespace dilemma;
namespace ts = dilemma::trust_and_split;

namespace {
Params P(std::map<std::string, ParamValue> v) { return Params("params", std::move(v)); }

std::shared_ptr<const ts::TrustAndSplitGame> tas(std::map<std::string, ParamValue> v = {}) {
  auto g = std::dynamic_pointer_cast<const ts::TrustAndSplitGame>(make_game("trust-and-split", P(std::move(v))));
  CHECK(g != nullptr);
  return g;
}

using TasState = std::array<int32_t, ts::kStateSize>;

TasState tas_state(const ts::TrustAndSplitGame& g, int hand0, int hand1) {
  TasState s{};
  g.reset(s.data(), EnvDraw{1, 0, 0, 0});
  s[ts::kHand] = hand0;
  s[ts::kHand + 1] = hand1;
  return s;
}

struct Step {
  float r[2];
  bool done;
};

Step play(const Game& g, int32_t* s, int t, int a0, int a1) {
  const int32_t a[2] = {a0, a1};
  Step out{};
  out.done = g.step(s, t, a, out.r, EnvDraw{5, 0, 0, static_cast<uint32_t>(t)});
  return out;
}

std::vector<int> legal(const Game& g, const int32_t* s, int t, int agent) {
  std::vector<uint8_t> mask(g.info().actions, 7);
  g.legal_actions(s, t, agent, mask.data());
  std::vector<int> out;
  for (int a = 0; a < g.info().actions; ++a) {
    CHECK(mask[a] == 0 || mask[a] == 1);
    if (mask[a]) out.push_back(a);
  }
  return out;
}

std::vector<int> range(int lo, int hi) {
  std::vector<int> out;
  for (int a = lo; a < hi; ++a) out.push_back(a);
  return out;
}

std::vector<float> observe(const Game& g, const int32_t* s, int t, int agent) {
  std::vector<float> obs(g.info().obs_dim, -1.0f);
  g.observe(s, t, agent, obs.data());
  return obs;
}

std::vector<int32_t> stats(const Game& g, const int32_t* s) {
  std::vector<int32_t> out(g.stat_count());
  g.stats(s, out.data());
  return out;
}

// Default vocabulary indices: claim-rock 0, claim-paper 1, claim-scissors 2,
// take-0 3, take-2 4, take-5 5, take-8 6, take-10 7, none 8; proposals x at
// 9 + x; wait 20.
enum : int { kClaimRock = 0, kClaimPaper = 1, kClaimScissors = 2, kTake5 = 5, kNone = 8, kWait = 20 };
int X(int x) { return 9 + x; }
}  // namespace

TEST("trust-and-split: sizes, vocabulary, action layout and statistics are described") {
  auto g = tas();
  CHECK_EQ(g->info().agents, 2);
  CHECK_EQ(g->info().obs_dim, 43);
  CHECK_EQ(g->info().actions, 21);
  CHECK_EQ(g->info().max_steps, 30);
  CHECK_EQ(g->info().state_size, 18);
  CHECK(g->has_illegal_actions());
  CHECK(!g->two_action());
  std::vector<std::string> names;
  for (const auto& tok : g->vocabulary()) names.push_back(ts::token_name(tok));
  const std::vector<std::string> want = {"claim-rock", "claim-paper", "claim-scissors", "take-0", "take-2",
                                         "take-5",     "take-8",      "take-10",        "none"};
  CHECK(names == want);
  CHECK_EQ(g->message_action(kClaimScissors), 2);
  CHECK_EQ(g->proposal_action(0), 9);
  CHECK_EQ(g->proposal_action(10), 19);
  CHECK_EQ(g->wait_action(), kWait);
  CHECK_EQ(g->find_token(ts::Token::kClaim, ts::kPaper), kClaimPaper);
  CHECK_EQ(g->find_token(ts::Token::kTake, 5), kTake5);
  CHECK_EQ(g->find_token(ts::Token::kTake, 3), -1);
  CHECK_EQ(g->find_token(ts::Token::kNone), kNone);
  const std::vector<std::string> stat_names = {"claims_true_0", "claims_true_1", "claims_0", "claims_1",
                                               "welfare",       "max_welfare",   "agreements", "rounds_played"};
  CHECK(g->stat_names() == stat_names);
  CHECK_EQ(g->stat_count(), 8);
  CHECK_EQ(g->obs_message(), 7);
  CHECK_EQ(g->obs_last_hand(), 17);
  CHECK_EQ(g->obs_last_message(), 21);
  CHECK_EQ(g->obs_last_proposal(), 31);
  CHECK_EQ(g->obs_last_reward(), 33);
  CHECK_EQ(g->obs_round(), 35);
  CHECK_EQ(g->obs_claim_relation(), 36);
  CHECK_EQ(g->obs_last_truth(), 40);

  // The default preset scales its suggestions with the coins: 0, 20%, 50%, 80%, 100%, rounded, no repeats.
  auto takes = [](const ts::TrustAndSplitGame& h) {
    std::vector<int> out;
    for (const auto& tok : h.vocabulary())
      if (tok.kind == ts::Token::kTake) out.push_back(tok.value);
    return out;
  };
  CHECK((takes(*tas({{"coins", 4.0}})) == std::vector<int>{0, 1, 2, 3, 4}));
  CHECK((takes(*tas({{"coins", 2.0}})) == std::vector<int>{0, 1, 2}));
  CHECK((takes(*tas({{"coins", 1.0}})) == std::vector<int>{0, 1}));
  CHECK((takes(*tas({{"coins", 20.0}})) == std::vector<int>{0, 4, 10, 16, 20}));
  CHECK_EQ(tas({{"coins", 1.0}})->info().actions, 3 + 2 + 1 + 2 + 1);

  auto claims = tas({{"messages", std::string("claims")}});
  CHECK_EQ(claims->tokens(), 4);
  CHECK_EQ(claims->info().actions, 4 + 11 + 1);
  CHECK_EQ(claims->info().obs_dim, 2 * 4 + 25);
  auto silent = tas({{"messages", std::string("silent")}, {"rounds", 4.0}, {"coins", 6.0}});
  CHECK_EQ(silent->tokens(), 1);
  CHECK_EQ(silent->info().actions, 1 + 7 + 1);
  CHECK_EQ(silent->info().max_steps, 12);
  // A token list, separated by spaces and/or commas, in the order given.
  auto custom = tas({{"messages", std::string("take-3, claim-scissors none  claim-rock")}});
  CHECK_EQ(custom->tokens(), 4);
  CHECK_EQ(custom->find_token(ts::Token::kTake, 3), 0);
  CHECK_EQ(custom->find_token(ts::Token::kClaim, ts::kScissors), 1);
  CHECK_EQ(custom->find_token(ts::Token::kNone), 2);
  CHECK_EQ(custom->find_token(ts::Token::kClaim, ts::kRock), 3);
  CHECK_EQ(custom->find_token(ts::Token::kClaim, ts::kPaper), -1);
  CHECK_EQ(custom->info().actions, 4 + 11 + 1);
}

TEST("trust-and-split: rock-paper-scissors decides who holds the valuable coins") {
  // beats(a, b) for a, b in rock, paper, scissors, written out.
  const bool want[3][3] = {{false, false, true}, {true, false, false}, {false, true, false}};
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) CHECK_EQ(ts::beats(a, b), want[a][b]);
  auto g = tas();
  const TasState s = tas_state(*g, ts::kScissors, ts::kPaper);
  CHECK(ts::wins(s.data(), 0));
  CHECK(!ts::wins(s.data(), 1));
  CHECK_EQ(g->value(s.data(), 0), 10.0);
  CHECK_EQ(g->value(s.data(), 1), 1.0);
  CHECK(std::string(ts::hand_name(ts::kScissors)) == "scissors");
}

TEST("trust-and-split: proposal payoffs by hand, over-claims scaled proportionally") {
  struct Row {
    int h0, h1, x0, x1;
    double r0, r1;
    bool agreed;
  };
  // Winner's coins are worth 10, loser's 1. Worked out on paper:
  const Row rows[] = {
      {ts::kRock, ts::kScissors, 6, 6, 50, 5, false},                // sum 12: q = 10*6/12 = 5 each
      {ts::kRock, ts::kScissors, 10, 10, 50, 5, false},              // q = 5, 5
      {ts::kRock, ts::kScissors, 3, 7, 30, 7, true},                 // no scaling
      {ts::kRock, ts::kScissors, 8, 4, 200.0 / 3, 10.0 / 3, false},  // q = 80/12 = 6.667 and 40/12 = 3.333
      {ts::kRock, ts::kScissors, 5, 5, 50, 5, true},
      {ts::kRock, ts::kScissors, 0, 0, 0, 0, false},
      {ts::kRock, ts::kScissors, 10, 0, 100, 0, true},
      {ts::kRock, ts::kScissors, 0, 10, 0, 10, true},
      {ts::kRock, ts::kScissors, 4, 4, 40, 4, false},                    // under-claims leave coins unpaid
      {ts::kRock, ts::kScissors, 7, 10, 700.0 / 17, 100.0 / 17, false},  // q = 70/17, 100/17
      {ts::kRock, ts::kPaper, 8, 4, 20.0 / 3, 100.0 / 3, false},         // paper wins: agent 1's coins are worth 10
      {ts::kRock, ts::kPaper, 2, 8, 2, 80, true},
      {ts::kScissors, ts::kPaper, 9, 9, 50, 5, false},                   // q = 90/18 = 5
      {ts::kPaper, ts::kScissors, 1, 10, 10.0 / 11, 1000.0 / 11, false},  // q = 10/11, 100/11
      {ts::kPaper, ts::kRock, 10, 10, 50, 5, false},
  };
  auto g = tas();
  for (const Row& row : rows) {
    TasState s = tas_state(*g, row.h0, row.h1);
    const Step o = play(*g, s.data(), 2, X(row.x0), X(row.x1));
    CHECK_CLOSE(o.r[0], row.r0, 1e-6, 1e-6);
    CHECK_CLOSE(o.r[1], row.r1, 1e-6, 1e-6);
    CHECK(!o.done);
    const auto st = stats(*g, s.data());
    CHECK_EQ(st[4], static_cast<int32_t>(std::lround(100 * (row.r0 + row.r1))));
    CHECK_EQ(st[5], 10000);  // x 100: all 10 coins at value 10
    CHECK_EQ(st[6], row.agreed ? 1 : 0);
    CHECK_EQ(st[7], 1);
    CHECK_CLOSE(g->last_reward(s.data(), 0), row.r0, 1e-9, 1e-9);
    CHECK_CLOSE(g->last_reward(s.data(), 1), row.r1, 1e-9, 1e-9);
  }
  // (8, 4) welfare: 66.667 + 3.333 = 70 -> 7000; (7, 10): 41.176 + 5.882 = 47.059 -> 4706.
  TasState s = tas_state(*g, ts::kRock, ts::kScissors);
  play(*g, s.data(), 2, X(8), X(4));
  CHECK_EQ(stats(*g, s.data())[4], 7000);
  s = tas_state(*g, ts::kRock, ts::kScissors);
  play(*g, s.data(), 2, X(7), X(10));
  CHECK_EQ(stats(*g, s.data())[4], 4706);

  // Other coins and values: 4 coins, winner 3, loser 2. Rock beats scissors.
  auto h = tas({{"coins", 4.0}, {"highValue", 3.0}, {"lowValue", 2.0}, {"messages", std::string("silent")}});
  // Layout with one token: none 0, proposals 1..5, wait 6.
  CHECK_EQ(h->proposal_action(0), 1);
  TasState u = tas_state(*h, ts::kRock, ts::kScissors);
  Step o = play(*h, u.data(), 2, h->proposal_action(4), h->proposal_action(4));  // q = 2, 2
  CHECK_CLOSE(o.r[0], 6.0, 1e-6, 0);
  CHECK_CLOSE(o.r[1], 4.0, 1e-6, 0);
  u = tas_state(*h, ts::kScissors, ts::kRock);
  o = play(*h, u.data(), 2, h->proposal_action(1), h->proposal_action(3));  // no scaling; rock wins
  CHECK_CLOSE(o.r[0], 2.0, 1e-6, 0);
  CHECK_CLOSE(o.r[1], 9.0, 1e-6, 0);
  CHECK_EQ(stats(*h, u.data())[5], 1200);
  CHECK_EQ(stats(*h, u.data())[6], 1);
}

TEST("trust-and-split: legal actions per step, speakers alternate by round") {
  auto g = tas({{"rounds", 4.0}});
  TasState s = tas_state(*g, ts::kRock, ts::kPaper);
  const auto messages = range(0, 9), proposals = range(9, 20), wait = std::vector<int>{kWait};
  for (int round = 0; round < 4; ++round) {
    const int first = round % 2;  // agent 0 in round 0, agent 1 in round 1, ...
    CHECK_EQ(g->first_speaker(round), first);
    const int t = 3 * round;
    CHECK_EQ(g->speaker(t), first);
    CHECK_EQ(g->speaker(t + 1), 1 - first);
    CHECK_EQ(g->speaker(t + 2), -1);
    CHECK(legal(*g, s.data(), t, first) == messages);
    CHECK(legal(*g, s.data(), t, 1 - first) == wait);
    CHECK(legal(*g, s.data(), t + 1, 1 - first) == messages);
    CHECK(legal(*g, s.data(), t + 1, first) == wait);
    CHECK(legal(*g, s.data(), t + 2, 0) == proposals);
    CHECK(legal(*g, s.data(), t + 2, 1) == proposals);
    // The first-speaker flag of the observation follows.
    CHECK_EQ(observe(*g, s.data(), t, first)[6], 1.0f);
    CHECK_EQ(observe(*g, s.data(), t, 1 - first)[6], 0.0f);
    play(*g, s.data(), t, first == 0 ? kNone : kWait, first == 1 ? kNone : kWait);
    play(*g, s.data(), t + 1, first == 1 ? kNone : kWait, first == 0 ? kNone : kWait);
    const Step o = play(*g, s.data(), t + 2, X(5), X(5));
    CHECK_EQ(o.done, round == 3);
  }
  // Without alternation agent 0 always speaks first.
  auto fixed = tas({{"alternateSpeaker", 0.0}});
  CHECK(!fixed->alternate_speaker());
  for (int round = 0; round < 10; ++round) {
    CHECK_EQ(fixed->speaker(3 * round), 0);
    CHECK_EQ(fixed->speaker(3 * round + 1), 1);
    CHECK(legal(*fixed, s.data(), 3 * round, 1) == wait);
  }
}

TEST("trust-and-split: messages, claims and the next round's reveals in the observations") {
  auto g = tas({{"rounds", 3.0}});
  TasState s = tas_state(*g, ts::kRock, ts::kScissors);
  // Round 0, step A: agent 0 (rock) claims paper (a lie), agent 1 waits.
  auto o0 = observe(*g, s.data(), 0, 0), o1 = observe(*g, s.data(), 0, 1);
  const std::vector<float> hand_rock = {1, 0, 0}, hand_scissors = {0, 0, 1};
  CHECK((std::vector<float>(o0.begin(), o0.begin() + 3) == hand_rock));
  CHECK((std::vector<float>(o1.begin(), o1.begin() + 3) == hand_scissors));
  CHECK((std::vector<float>(o0.begin() + 3, o0.begin() + 6) == std::vector<float>{1, 0, 0}));  // step A
  for (const auto* o : {&o0, &o1}) {
    for (float v : *o) CHECK(v >= 0.0f && v <= 1.0f);
    CHECK_EQ((*o)[7 + 9], 1.0f);   // nothing heard yet
    CHECK_EQ((*o)[17 + 3], 1.0f);  // no last hand
    CHECK_EQ((*o)[21 + 9], 1.0f);  // no last message
    CHECK_EQ((*o)[31], 0.0f);
    CHECK_EQ((*o)[33], 0.0f);
    CHECK_EQ((*o)[35], 0.0f);
    CHECK_EQ((*o)[36 + 3], 1.0f);  // no claim heard
    CHECK_EQ((*o)[40 + 2], 1.0f);  // no claim last round
  }
  play(*g, s.data(), 0, kClaimPaper, kWait);
  CHECK_EQ(ts::message(s.data(), 0), kClaimPaper);
  CHECK_EQ(ts::message(s.data(), 1), -1);
  // Step B: the second speaker has seen the first message; the first has heard nothing.
  o0 = observe(*g, s.data(), 1, 0);
  o1 = observe(*g, s.data(), 1, 1);
  CHECK((std::vector<float>(o1.begin() + 3, o1.begin() + 6) == std::vector<float>{0, 1, 0}));
  CHECK_EQ(o1[7 + kClaimPaper], 1.0f);
  CHECK_EQ(o1[7 + 9], 0.0f);
  CHECK_EQ(o0[7 + 9], 1.0f);
  // Claim relations: agent 1's scissors beats the claimed paper; agent 0 has heard no claim.
  CHECK((std::vector<float>(o1.begin() + 36, o1.begin() + 40) == std::vector<float>{0, 1, 0, 0}));
  CHECK((std::vector<float>(o0.begin() + 36, o0.begin() + 40) == std::vector<float>{0, 0, 0, 1}));
  // Agent 1 (scissors) claims scissors (true) and agent 0's action at B is ignored.
  play(*g, s.data(), 1, X(3), kClaimScissors);
  CHECK_EQ(ts::message(s.data(), 0), kClaimPaper);
  CHECK_EQ(ts::message(s.data(), 1), kClaimScissors);
  o0 = observe(*g, s.data(), 2, 0);
  CHECK((std::vector<float>(o0.begin() + 3, o0.begin() + 6) == std::vector<float>{0, 0, 1}));
  CHECK_EQ(o0[7 + kClaimScissors], 1.0f);
  CHECK((std::vector<float>(o0.begin() + 36, o0.begin() + 40) == std::vector<float>{0, 1, 0, 0}));  // rock beats scissors
  CHECK((stats(*g, s.data()) == std::vector<int32_t>{0, 1, 1, 1, 0, 0, 0, 0}));
  // Step C: proposals 6 and 3 (rock wins: 60 and 3).
  Step r = play(*g, s.data(), 2, X(6), X(3));
  CHECK_CLOSE(r.r[0], 60.0, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 3.0, 1e-6, 0);
  CHECK_EQ(ts::last_hand(s.data(), 0), ts::kRock);
  CHECK_EQ(ts::last_hand(s.data(), 1), ts::kScissors);
  CHECK_EQ(ts::last_proposal(s.data(), 0), 6);
  CHECK_EQ(ts::last_proposal(s.data(), 1), 3);
  CHECK_EQ(ts::last_message(s.data(), 0), kClaimPaper);
  CHECK_EQ(ts::rounds_played(s.data()), 1);
  CHECK(ts::hand(s.data(), 0) != ts::hand(s.data(), 1));  // round 1's hands are dealt

  // Round 1 starts: each sees the other's last hand, message and proposal, both proposals and rewards.
  o0 = observe(*g, s.data(), 3, 0);
  o1 = observe(*g, s.data(), 3, 1);
  CHECK_EQ(o0[ts::TrustAndSplitGame::kObsHand + ts::hand(s.data(), 0)], 1.0f);
  CHECK((std::vector<float>(o0.begin() + 3, o0.begin() + 6) == std::vector<float>{1, 0, 0}));
  CHECK_EQ(o0[6], 0.0f);  // agent 1 speaks first in round 1
  CHECK_EQ(o1[6], 1.0f);
  CHECK_EQ(o0[7 + 9], 1.0f);  // this round's messages are cleared
  CHECK_EQ(o0[17 + ts::kScissors], 1.0f);
  CHECK_EQ(o0[17 + 3], 0.0f);
  CHECK_EQ(o1[17 + ts::kRock], 1.0f);
  CHECK_EQ(o0[21 + kClaimScissors], 1.0f);
  CHECK_EQ(o1[21 + kClaimPaper], 1.0f);
  CHECK_CLOSE(o0[31], 0.6, 1e-6, 0);
  CHECK_CLOSE(o0[32], 0.3, 1e-6, 0);
  CHECK_CLOSE(o1[31], 0.3, 1e-6, 0);
  CHECK_CLOSE(o1[32], 0.6, 1e-6, 0);
  CHECK_CLOSE(o0[33], 60.0 / 100, 1e-6, 0);  // rewards / (coins * highValue)
  CHECK_CLOSE(o0[34], 3.0 / 100, 1e-6, 0);
  CHECK_CLOSE(o1[33], 3.0 / 100, 1e-6, 0);
  CHECK_CLOSE(o0[35], 1.0 / 3, 1e-6, 0);
  // Last round's claims against the revealed hands: agent 1 told the truth, agent 0 lied.
  CHECK((std::vector<float>(o0.begin() + 40, o0.begin() + 43) == std::vector<float>{1, 0, 0}));
  CHECK((std::vector<float>(o1.begin() + 40, o1.begin() + 43) == std::vector<float>{0, 1, 0}));
  CHECK_EQ(o0[36 + 3], 1.0f);

  // Round 1 with hands set by hand: agent 1 (paper) speaks first and claims
  // paper (true); agent 0 (rock) claims rock (true).
  s[ts::kHand] = ts::kRock;
  s[ts::kHand + 1] = ts::kPaper;
  play(*g, s.data(), 3, kWait, kClaimPaper);
  o0 = observe(*g, s.data(), 4, 0);
  CHECK_EQ(o0[7 + kClaimPaper], 1.0f);
  CHECK((std::vector<float>(o0.begin() + 36, o0.begin() + 40) == std::vector<float>{1, 0, 0, 0}));  // paper beats rock
  play(*g, s.data(), 4, kClaimRock, kWait);
  r = play(*g, s.data(), 5, X(2), X(8));  // paper wins: 2 and 80
  CHECK_CLOSE(r.r[0], 2.0, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 80.0, 1e-6, 0);
  CHECK(!r.done);
  // claims_true 1, 2; claims 2, 2; welfare 6300 + 8200; max 2 x 10000; one agreement; two rounds.
  CHECK((stats(*g, s.data()) == std::vector<int32_t>{1, 2, 2, 2, 14500, 20000, 1, 2}));

  // Round 2: a speaker's illegal action sends nothing; a proposer's illegal action proposes 0.
  s[ts::kHand] = ts::kPaper;
  s[ts::kHand + 1] = ts::kRock;
  CHECK_EQ(observe(*g, s.data(), 6, 0)[40], 1.0f);  // both claims of round 1 were true
  CHECK_EQ(observe(*g, s.data(), 6, 1)[40], 1.0f);
  play(*g, s.data(), 6, X(4), kClaimRock);  // agent 0 speaks first but plays a proposal
  CHECK_EQ(ts::message(s.data(), 0), -1);
  CHECK_EQ(ts::message(s.data(), 1), -1);  // agent 1's message at A is not its turn
  play(*g, s.data(), 7, kClaimRock, kWait);  // agent 1 plays wait as its message
  CHECK_EQ(ts::message(s.data(), 1), -1);
  CHECK_EQ(observe(*g, s.data(), 8, 0)[7 + 9], 1.0f);
  r = play(*g, s.data(), 8, kClaimPaper, X(10));  // agent 0 proposes 0; agent 1 takes all 10 at value 1
  CHECK_EQ(r.r[0], 0.0f);
  CHECK_CLOSE(r.r[1], 10.0, 1e-6, 0);
  CHECK(r.done);
  CHECK_EQ(ts::last_proposal(s.data(), 0), 0);
  CHECK((stats(*g, s.data()) == std::vector<int32_t>{1, 2, 2, 2, 15500, 30000, 2, 3}));
  // The final state still observes (round index = rounds / rounds).
  CHECK_EQ(observe(*g, s.data(), 9, 0)[35], 1.0f);

  // A claim of the listener's own hand is a sure lie; a take-K message is no claim.
  s = tas_state(*g, ts::kRock, ts::kScissors);
  play(*g, s.data(), 0, kClaimScissors, kWait);
  o1 = observe(*g, s.data(), 1, 1);
  CHECK((std::vector<float>(o1.begin() + 36, o1.begin() + 40) == std::vector<float>{0, 0, 1, 0}));
  play(*g, s.data(), 1, kWait, kTake5);
  o0 = observe(*g, s.data(), 2, 0);
  CHECK((std::vector<float>(o0.begin() + 36, o0.begin() + 40) == std::vector<float>{0, 0, 0, 1}));
}

TEST("trust-and-split: hands are two different, uniform; streams share them (common random numbers)") {
  auto g = tas();
  EnvBatch e(g, 6000, 11);
  std::map<std::pair<int, int>, int> pairs;
  for (int64_t b = 0; b < e.batch(); ++b) {
    const int32_t* s = e.state(b);
    CHECK(s[0] != s[1]);
    ++pairs[{s[0], s[1]}];
    for (int i = ts::kMessage; i < ts::kClaimsTrue; ++i) CHECK_EQ(s[i], -1);
    for (int i = ts::kClaimsTrue; i < ts::kStateSize; ++i) CHECK_EQ(s[i], 0);
  }
  CHECK_EQ(static_cast<int>(pairs.size()), 6);
  for (const auto& [pair, n] : pairs) CHECK_CLOSE(n, 1000.0, 0.12, 0);

  // Environments 0 and 1 share stream 4, 2 is alone; 0 and 1 play different actions.
  const std::vector<uint32_t> streams = {4, 4, 9};
  EnvBatch a(g, 3, 42, streams), b(g, 3, 42, streams), other(g, 3, 43, streams);
  std::vector<float> r(6);
  std::vector<uint8_t> d(3);
  uint32_t x = 99;
  auto next = [&](int n) {
    x = x * 1664525u + 1013904223u;
    return static_cast<int32_t>((x >> 16) % n);
  };
  bool streams_differ = false, seeds_differ = false;
  for (int episode = 0; episode < 2; ++episode) {
    for (int t = 0; t < 30; ++t) {
      std::vector<int32_t> act(6);
      for (auto& v : act) v = next(21);
      a.step(0, 3, act.data(), r.data(), d.data(), nullptr);
      b.step(0, 3, act.data(), r.data(), d.data(), nullptr);
      other.step(0, 3, act.data(), r.data(), d.data(), nullptr);
      for (int k = 0; k < 3; ++k)
        for (int i = 0; i < ts::kStateSize; ++i) CHECK_EQ(a.state(k)[i], b.state(k)[i]);
      CHECK_EQ(a.state(0)[0], a.state(1)[0]);
      CHECK_EQ(a.state(0)[1], a.state(1)[1]);
      CHECK_EQ(a.state(0)[ts::kLastHand], a.state(1)[ts::kLastHand]);
      streams_differ = streams_differ || a.state(0)[0] != a.state(2)[0] || a.state(0)[1] != a.state(2)[1];
      seeds_differ = seeds_differ || a.state(0)[0] != other.state(0)[0] || a.state(0)[1] != other.state(0)[1];
    }
    CHECK_EQ(static_cast<int>(d[0]), 1);
    a.reset(0, 3);
    b.reset(0, 3);
    other.reset(0, 3);
  }
  CHECK(streams_differ);
  CHECK(seeds_differ);
}

TEST("trust-and-split: bad parameters are named errors") {
  const auto bad = [](std::map<std::string, ParamValue> v) {
    CHECK_THROWS_CODE(make_game("trust-and-split", P(std::move(v))), codes::kInvalidParam);
  };
  bad({{"rounds", 0.0}});
  bad({{"rounds", 2097152.0}});
  bad({{"rounds", 2.5}});
  bad({{"coins", 0.0}});
  bad({{"coins", 1001.0}});
  bad({{"highValue", -1.0}});
  bad({{"lowValue", std::nan("")}});
  bad({{"lowValue", 11.0}});  // above the default highValue 10
  bad({{"highValue", 3.0}, {"lowValue", 4.0}});
  bad({{"alternateSpeaker", 2.0}});
  bad({{"messages", 3.0}});
  bad({{"messages", std::string("bogus")}});
  bad({{"messages", std::string("claim-lizard")}});
  bad({{"messages", std::string("take-11")}});
  bad({{"messages", std::string("take-5")}, {"coins", 4.0}});
  bad({{"messages", std::string("take-x")}});
  bad({{"messages", std::string("none, none")}});
  bad({{"messages", std::string(" , ")}});
  bad({{"messages", std::string("")}});
  bad({{"vocabulary", std::string("default")}});
  std::string many;
  for (int k = 0; k <= 64; ++k) many += "take-" + std::to_string(k) + " ";
  bad({{"messages", many}, {"coins", 100.0}});
  try {
    make_game("trust-and-split", P({{"messages", std::string("claim-rock take-12")}}));
    CHECK(false);
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("params.messages") != std::string::npos);
    CHECK(std::string(e.what()).find("take-12") != std::string::npos);
  }
  EnvBatch e(make_game("trust-and-split", P({})), 1, 0);
  const int32_t out_of_range[2] = {21, 0};
  CHECK_THROWS_CODE(e.check_actions(out_of_range), codes::kInvalidArgument);
}

// Split state layout for 3 items: high flags [0, 6) (agent 0's three, then
// agent 1's), this round's proposals [6, 12), last round's [12, 18), then
// welfare, max welfare, agreements, rounds played.
TEST("split: sizes, proportional payoffs per item, agreements and reveals by hand") {
  auto g = make_game("split", P({}));
  CHECK_EQ(g->info().agents, 2);
  CHECK_EQ(g->info().obs_dim, 20);
  CHECK_EQ(g->info().actions, 11);
  CHECK_EQ(g->info().max_steps, 30);
  CHECK_EQ(g->info().state_size, 22);
  CHECK(!g->has_illegal_actions());
  CHECK((g->stat_names() == std::vector<std::string>{"welfare", "max_welfare", "agreements", "rounds_played"}));
  CHECK(legal(*g, std::vector<int32_t>(22).data(), 0, 0) == range(0, 11));

  std::vector<int32_t> s(22);
  g->reset(s.data(), EnvDraw{1, 0, 0, 0});
  // Values: agent 0 (10, 10, 1), agent 1 (1, 10, 10).
  const int32_t flags[6] = {1, 1, 0, 0, 1, 1};
  for (int i = 0; i < 6; ++i) s[i] = flags[i];
  auto o0 = observe(*g, s.data(), 0, 0), o1 = observe(*g, s.data(), 0, 1);
  CHECK((std::vector<float>(o0.begin(), o0.begin() + 6) == std::vector<float>{1, 1, 0, 0, 1, 1}));
  CHECK((std::vector<float>(o1.begin(), o1.begin() + 6) == std::vector<float>{0, 1, 1, 1, 1, 0}));
  CHECK((std::vector<float>(o0.begin() + 6, o0.begin() + 9) == std::vector<float>{1, 0, 0}));
  CHECK_EQ(o0[18], 1.0f);  // no last round yet
  // Round 0. Item 0 (values 10 / 1), proposals 6 and 6: q = 5, 5 -> 50 and 5.
  Step r = play(*g, s.data(), 0, 6, 6);
  CHECK_CLOSE(r.r[0], 50.0, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 5.0, 1e-6, 0);
  o0 = observe(*g, s.data(), 1, 0);
  CHECK((std::vector<float>(o0.begin() + 6, o0.begin() + 9) == std::vector<float>{0, 1, 0}));
  CHECK_CLOSE(o0[9], 0.6, 1e-6, 0);   // own proposal so far
  CHECK_CLOSE(observe(*g, s.data(), 1, 1)[9], 0.6, 1e-6, 0);
  // The other's proposal stays hidden until the round ends: no last round yet.
  for (int i = 12; i < 18; ++i) CHECK_EQ(o0[i], 0.0f);
  CHECK_EQ(o0[18], 1.0f);
  // Item 1 (10 / 10), 3 and 7: no scaling -> 30 and 70.
  r = play(*g, s.data(), 1, 3, 7);
  CHECK_CLOSE(r.r[0], 30.0, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 70.0, 1e-6, 0);
  // Item 2 (1 / 10), 8 and 4: q = 80/12, 40/12 -> 6.667 and 33.333.
  r = play(*g, s.data(), 2, 8, 4);
  CHECK_CLOSE(r.r[0], 20.0 / 3, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 100.0 / 3, 1e-6, 0);
  CHECK(!r.done);
  // Welfare 55 + 100 + 40 = 195; max 3 x 100; item 0 summed to 12: no agreement.
  CHECK((stats(*g, s.data()) == std::vector<int32_t>{19500, 30000, 0, 1}));
  o0 = observe(*g, s.data(), 3, 0);
  o1 = observe(*g, s.data(), 3, 1);
  CHECK((std::vector<float>(o0.begin() + 9, o0.begin() + 12) == std::vector<float>{0, 0, 0}));
  const std::vector<float> own0 = {0.6f, 0.3f, 0.8f}, own1 = {0.6f, 0.7f, 0.4f};
  for (int j = 0; j < 3; ++j) {
    CHECK_CLOSE(o0[12 + j], own0[j], 1e-6, 0);
    CHECK_CLOSE(o0[15 + j], own1[j], 1e-6, 0);
    CHECK_CLOSE(o1[12 + j], own1[j], 1e-6, 0);
    CHECK_CLOSE(o1[15 + j], own0[j], 1e-6, 0);
  }
  CHECK_EQ(o0[18], 0.0f);
  CHECK_CLOSE(o0[19], 0.1, 1e-6, 0);
  // Round 1: every item sums to 10 -> an agreement. 40 + 6, 100 + 0, 0 + 100.
  r = play(*g, s.data(), 3, 4, 6);
  CHECK_CLOSE(r.r[0], 40.0, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 6.0, 1e-6, 0);
  r = play(*g, s.data(), 4, 10, 0);
  CHECK_CLOSE(r.r[0], 100.0, 1e-6, 0);
  CHECK_EQ(r.r[1], 0.0f);
  r = play(*g, s.data(), 5, 0, 10);
  CHECK_EQ(r.r[0], 0.0f);
  CHECK_CLOSE(r.r[1], 100.0, 1e-6, 0);
  CHECK((stats(*g, s.data()) == std::vector<int32_t>{19500 + 24600, 60000, 1, 2}));
  // Both claim everything: 5 units each.
  r = play(*g, s.data(), 6, 10, 10);
  CHECK_CLOSE(r.r[0], 50.0, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 5.0, 1e-6, 0);

  // The last round ends the episode; other units and values.
  auto h = make_game("split", P({{"items", 2.0}, {"units", 4.0}, {"rounds", 2.0}, {"lowValue", 2.0}, {"highValue", 3.0}}));
  CHECK_EQ(h->info().obs_dim, 14);
  CHECK_EQ(h->info().actions, 5);
  CHECK_EQ(h->info().max_steps, 4);
  CHECK_EQ(h->info().state_size, 16);
  std::vector<int32_t> u(16);
  h->reset(u.data(), EnvDraw{1, 0, 0, 0});
  u[0] = 1, u[1] = 0, u[2] = 0, u[3] = 0;  // agent 0 (3, 2), agent 1 (2, 2)
  r = play(*h, u.data(), 0, 3, 3);        // q = 2, 2 -> 6 and 4
  CHECK_CLOSE(r.r[0], 6.0, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 4.0, 1e-6, 0);
  CHECK(!play(*h, u.data(), 1, 1, 1).done);
  CHECK(!play(*h, u.data(), 2, 0, 0).done);
  CHECK(play(*h, u.data(), 3, 0, 0).done);
}

TEST("split: values differ on at least one item, uniformly over such pairs; streams share them") {
  auto g = make_game("split", P({}));
  EnvBatch e(g, 56 * 400, 3);
  std::map<std::vector<int32_t>, int> seen;
  for (int64_t b = 0; b < e.batch(); ++b) {
    const int32_t* s = e.state(b);
    const std::vector<int32_t> v(s, s + 6);
    CHECK(!(v[0] == v[3] && v[1] == v[4] && v[2] == v[5]));
    ++seen[v];
    for (int i = 6; i < 18; ++i) CHECK_EQ(s[i], -1);
    for (int i = 18; i < 22; ++i) CHECK_EQ(s[i], 0);
  }
  CHECK_EQ(static_cast<int>(seen.size()), 64 - 8);
  for (const auto& [v, n] : seen) CHECK_CLOSE(n, 400.0, 0.25, 0);
  // One item: the two always value it differently.
  auto one = make_game("split", P({{"items", 1.0}}));
  EnvBatch f(one, 200, 1);
  for (int64_t b = 0; b < f.batch(); ++b) CHECK(f.state(b)[0] != f.state(b)[1]);
  // Shared streams, shared values, in every episode.
  EnvBatch a(g, 3, 8, {2, 2, 5});
  bool differ = false;
  for (int episode = 0; episode < 20; ++episode) {
    for (int i = 0; i < 6; ++i) CHECK_EQ(a.state(0)[i], a.state(1)[i]);
    for (int i = 0; i < 6; ++i) differ = differ || a.state(0)[i] != a.state(2)[i];
    a.reset(0, 3);
  }
  CHECK(differ);
}

TEST("split: bad parameters are named errors") {
  const auto bad = [](std::map<std::string, ParamValue> v) {
    CHECK_THROWS_CODE(make_game("split", P(std::move(v))), codes::kInvalidParam);
  };
  bad({{"items", 0.0}});
  bad({{"items", 9.0}});
  bad({{"units", 0.0}});
  bad({{"units", 1.5}});
  bad({{"rounds", 0.0}});
  bad({{"lowValue", 10.0}});  // equal values cannot differ
  bad({{"lowValue", 5.0}, {"highValue", 4.0}});
  bad({{"highValue", -2.0}});
  bad({{"values", 1.0}});
}

// Negotiation state layout for 3 items: per item 1 when agent 0 holds the
// high utility [0, 3), this round's proposals [3, 9), last round's [9, 15),
// then welfare, max welfare, rounds played.
TEST("negotiation: sizes, prop_i / (prop_0 + prop_1) * u_i by hand, 0/0 pays nothing") {
  auto g = make_game("negotiation", P({}));
  CHECK_EQ(g->info().obs_dim, 20);
  CHECK_EQ(g->info().actions, 6);
  CHECK_EQ(g->info().max_steps, 30);
  CHECK_EQ(g->info().state_size, 18);
  CHECK(!g->has_illegal_actions());
  CHECK((g->stat_names() == std::vector<std::string>{"welfare", "max_welfare", "rounds_played"}));

  std::vector<int32_t> s(18);
  g->reset(s.data(), EnvDraw{1, 0, 0, 0});
  s[0] = 1, s[1] = 0, s[2] = 1;  // u_0 = (5, 1, 5), u_1 = (1, 5, 1)
  auto o0 = observe(*g, s.data(), 0, 0), o1 = observe(*g, s.data(), 0, 1);
  const std::vector<float> u0 = {1.0f, 0.2f, 1.0f}, u1 = {0.2f, 1.0f, 0.2f};
  for (int j = 0; j < 3; ++j) {
    CHECK_CLOSE(o0[j], u0[j], 1e-6, 0);
    CHECK_CLOSE(o0[3 + j], u1[j], 1e-6, 0);
    CHECK_CLOSE(o1[j], u1[j], 1e-6, 0);
    CHECK_CLOSE(o1[3 + j], u0[j], 1e-6, 0);
  }
  CHECK_EQ(o0[6], 1.0f);
  CHECK_EQ(o0[18], 1.0f);
  // Item 0 (5 / 1): 3 and 2 -> 3/5 * 5 = 3 and 2/5 * 1 = 0.4.
  Step r = play(*g, s.data(), 0, 3, 2);
  CHECK_CLOSE(r.r[0], 3.0, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 0.4, 1e-6, 0);
  // Item 1 (1 / 5): 5 and 0 -> 1 and 0.
  r = play(*g, s.data(), 1, 5, 0);
  CHECK_CLOSE(r.r[0], 1.0, 1e-6, 0);
  CHECK_EQ(r.r[1], 0.0f);
  // Item 2 (5 / 1): 0 and 0 -> nothing for either.
  r = play(*g, s.data(), 2, 0, 0);
  CHECK_EQ(r.r[0], 0.0f);
  CHECK_EQ(r.r[1], 0.0f);
  CHECK((stats(*g, s.data()) == std::vector<int32_t>{440, 1500, 1}));
  o0 = observe(*g, s.data(), 3, 0);
  o1 = observe(*g, s.data(), 3, 1);
  const std::vector<float> p0 = {0.6f, 1.0f, 0.0f}, p1 = {0.4f, 0.0f, 0.0f};
  for (int j = 0; j < 3; ++j) {
    CHECK_CLOSE(o0[12 + j], p0[j], 1e-6, 0);
    CHECK_CLOSE(o0[15 + j], p1[j], 1e-6, 0);
    CHECK_CLOSE(o1[12 + j], p1[j], 1e-6, 0);
    CHECK_CLOSE(o1[15 + j], p0[j], 1e-6, 0);
  }
  CHECK_EQ(o0[18], 0.0f);
  // Round 1: (1, 1) -> 2.5, 0.5; (0, 4) -> 0, 5; (5, 5) -> 2.5, 0.5.
  r = play(*g, s.data(), 3, 1, 1);
  CHECK_CLOSE(r.r[0], 2.5, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 0.5, 1e-6, 0);
  r = play(*g, s.data(), 4, 0, 4);
  CHECK_EQ(r.r[0], 0.0f);
  CHECK_CLOSE(r.r[1], 5.0, 1e-6, 0);
  r = play(*g, s.data(), 5, 5, 5);
  CHECK_CLOSE(r.r[0], 2.5, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 0.5, 1e-6, 0);
  CHECK((stats(*g, s.data()) == std::vector<int32_t>{440 + 1100, 3000, 2}));

  // Other utilities and levels: u in {2, 7} (u_1 = 9 - u_0), shares 0..10.
  auto h = make_game("negotiation", P({{"items", 1.0}, {"levels", 10.0}, {"lowUtility", 2.0}, {"highUtility", 7.0}, {"rounds", 1.0}}));
  CHECK_EQ(h->info().actions, 11);
  CHECK_EQ(h->info().obs_dim, 8);
  std::vector<int32_t> u(8);
  h->reset(u.data(), EnvDraw{1, 0, 0, 0});
  u[0] = 0;                        // agent 0: 2, agent 1: 7
  r = play(*h, u.data(), 0, 9, 1);  // 9/10 * 2 = 1.8 and 1/10 * 7 = 0.7
  CHECK_CLOSE(r.r[0], 1.8, 1e-6, 0);
  CHECK_CLOSE(r.r[1], 0.7, 1e-6, 0);
  CHECK(r.done);
}

TEST("negotiation: utilities are complementary and fair coins; streams share them; errors") {
  auto g = make_game("negotiation", P({}));
  EnvBatch e(g, 4000, 2);
  int high[3] = {0, 0, 0};
  for (int64_t b = 0; b < e.batch(); ++b)
    for (int j = 0; j < 3; ++j) high[j] += e.state(b)[j];
  std::vector<float> obs(2 * 2 * 20);  // [2 environments, 2 agents, 20]
  e.observe(0, 2, obs.data());
  for (int b = 0; b < 2; ++b)
    for (int j = 0; j < 3; ++j) {
      const float own = obs[b * 40 + j], other = obs[b * 40 + 20 + j];
      CHECK_CLOSE(5 * own + 5 * other, 6.0, 1e-6, 0);  // u_0 + u_1 = 6
      CHECK(own == 1.0f || own == 0.2f);
      CHECK_EQ(obs[b * 40 + 3 + j], other);  // each also sees the other's utilities
    }
  for (int j = 0; j < 3; ++j) CHECK_CLOSE(high[j], 2000.0, 0.06, 0);
  EnvBatch a(g, 3, 8, {2, 2, 5});
  bool differ = false;
  for (int episode = 0; episode < 20; ++episode) {
    for (int j = 0; j < 3; ++j) CHECK_EQ(a.state(0)[j], a.state(1)[j]);
    for (int j = 0; j < 3; ++j) differ = differ || a.state(0)[j] != a.state(2)[j];
    a.reset(0, 3);
  }
  CHECK(differ);

  const auto bad = [](std::map<std::string, ParamValue> v) {
    CHECK_THROWS_CODE(make_game("negotiation", P(std::move(v))), codes::kInvalidParam);
  };
  bad({{"items", 0.0}});
  bad({{"levels", 0.0}});
  bad({{"levels", 101.0}});
  bad({{"rounds", 0.0}});
  bad({{"lowUtility", 6.0}});
  bad({{"highUtility", -1.0}});
  bad({{"utilities", 1.0}});
  EnvBatch f(g, 1, 0);
  const int32_t out_of_range[2] = {0, 6};
  CHECK_THROWS_CODE(f.check_actions(out_of_range), codes::kInvalidArgument);
}
