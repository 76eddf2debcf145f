// Scripted agents for trust-and-split. Each is a deterministic rule over the
// game's state, read through TrustAndSplitGame's accessors: this round's own
// hand and the messages so far, and last round's revealed hands, messages and
// proposals. An agent that is not the speaker at a message step waits; the
// speaker sends a message token; at the proposal step it proposes x coins.
// Every action is legal, and deterministic agents report log-probability 0
// and entropy 0.
//
//   greedy-splitter      says "take-<coins>" (or "none" when the vocabulary
//                        lacks it); proposes all coins.
//   welfare-splitter     claims its real hand; trusting the other's claim,
//                        proposes all coins when its hand beats the claimed
//                        hand, 0 when the claimed hand beats its hand, and
//                        half (coins / 2, rounded down) when the other made
//                        no usable claim (none, a take, or a claim of the
//                        welfare splitter's own hand, which two different
//                        hands rule out).
//   honest-reciprocator  claims its real hand and splits as the welfare
//                        splitter does, except in the round right after the
//                        other lied (its revealed hand differed from its
//                        claim) or grabbed (the revealed hands say it lost
//                        and it proposed more than 0, a loser's share of a
//                        welfare-maximising split): then it proposes all
//                        coins. The punishment lasts that one round; the
//                        round after depends only on what the other did in
//                        the punished round.
//   liar                 at the second message of a round, when the other
//                        has claimed a hand, claims the hand that beats that
//                        claim; otherwise claims the hand that beats its own
//                        real hand. Proposes all coins.
//
// A message the vocabulary lacks falls back to "none", and to the first
// token when "none" is missing too.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "error.hpp"
#include "games/trust_and_split.hpp"
#include "policy.hpp"

namespace dilemma {
namespace {

namespace ts = trust_and_split;

enum class Agent { kGreedySplitter, kWelfareSplitter, kHonestReciprocator, kLiar };

struct AgentSpec {
  const char* name;
  Agent kind;
};

const AgentSpec kAgents[] = {
    {"greedy-splitter", Agent::kGreedySplitter},
    {"welfare-splitter", Agent::kWelfareSplitter},
    {"honest-reciprocator", Agent::kHonestReciprocator},
    {"liar", Agent::kLiar},
};

const ts::TrustAndSplitGame& trust_and_split_game(const Game& game, const std::string& name) {
  const auto* g = dynamic_cast<const ts::TrustAndSplitGame*>(&game);
  if (!g)
    throw Error(codes::kUnsupported,
                "strategy '" + name + "' plays only the 'trust-and-split' game; '" + game.info().id + "' is not");
  return *g;
}

// The hand that beats `hand`.
int beater(int hand) { return (hand + 1) % ts::kHands; }

// The claimed hand of a message token, -1 for none, a take or no message.
int claimed_hand(const ts::TrustAndSplitGame& g, int token) {
  if (token < 0 || token >= g.tokens()) return -1;
  const ts::Token& t = g.vocabulary()[token];
  return t.kind == ts::Token::kClaim ? t.value : -1;
}

int message_or_none(const ts::TrustAndSplitGame& g, ts::Token::Kind kind, int value) {
  int token = g.find_token(kind, value);
  if (token < 0) token = g.find_token(ts::Token::kNone);
  return g.message_action(token < 0 ? 0 : token);
}

// The welfare splitter's proposal: trusting the other's claim this round.
int trusting_proposal(const ts::TrustAndSplitGame& g, const int32_t* s, int agent) {
  const int mine = ts::hand(s, agent);
  const int theirs = claimed_hand(g, ts::message(s, 1 - agent));
  if (theirs < 0 || theirs == mine) return g.coins() / 2;
  return ts::beats(mine, theirs) ? g.coins() : 0;
}

// Whether the other lied or grabbed in the last round (false before it ends).
bool other_defected_last_round(const ts::TrustAndSplitGame& g, const int32_t* s, int agent) {
  const int other = 1 - agent;
  if (ts::last_proposal(s, other) < 0) return false;
  const int claim = claimed_hand(g, ts::last_message(s, other));
  const bool lied = claim >= 0 && claim != ts::last_hand(s, other);
  const bool lost = ts::beats(ts::last_hand(s, agent), ts::last_hand(s, other));
  const bool grabbed = lost && ts::last_proposal(s, other) > 0;
  return lied || grabbed;
}

int decide(Agent kind, const ts::TrustAndSplitGame& g, const int32_t* s, int t, int agent) {
  const int who = g.speaker(t);
  if (who >= 0 && who != agent) return g.wait_action();
  if (who == agent) {
    switch (kind) {
      case Agent::kGreedySplitter: return message_or_none(g, ts::Token::kTake, g.coins());
      case Agent::kWelfareSplitter:
      case Agent::kHonestReciprocator: return message_or_none(g, ts::Token::kClaim, ts::hand(s, agent));
      case Agent::kLiar: {
        const int theirs = ts::phase_of(t) == ts::kSecondMessage ? claimed_hand(g, ts::message(s, 1 - agent)) : -1;
        return message_or_none(g, ts::Token::kClaim, beater(theirs >= 0 ? theirs : ts::hand(s, agent)));
      }
    }
  }
  switch (kind) {
    case Agent::kGreedySplitter:
    case Agent::kLiar: return g.proposal_action(g.coins());
    case Agent::kWelfareSplitter: return g.proposal_action(trusting_proposal(g, s, agent));
    case Agent::kHonestReciprocator:
      return g.proposal_action(other_defected_last_round(g, s, agent) ? g.coins() : trusting_proposal(g, s, agent));
  }
  return g.wait_action();
}

class TrustAndSplitAgent final : public Policy {
 public:
  TrustAndSplitAgent(std::string name, Agent kind, const Params& p) : name_(std::move(name)), kind_(kind) {
    p.reject_unknown();
  }

  std::string name() const override { return name_; }

  void check(const Game& game, int agent) const override {
    trust_and_split_game(game, name_);
    if (agent < 0 || agent > 1)
      throw Error(codes::kUnsupported, "strategy '" + name_ + "' plays seat 0 or 1; got " + std::to_string(agent));
  }

  int64_t preferred_block() const override { return 256; }

  void act(const ActContext& c, int64_t b0, int64_t b1) const override {
    const ts::TrustAndSplitGame& g = trust_and_split_game(c.envs->game(), name_);
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t i = b * c.out_stride + c.agent;
      c.actions[i] = decide(kind_, g, c.envs->state(b), c.envs->steps_taken(b), c.agent);
      c.logp[i] = 0.0f;
      c.entropy[i] = 0.0f;
    }
  }

 private:
  std::string name_;
  Agent kind_;
};

const AgentSpec* find_agent(const std::string& name) {
  for (const auto& a : kAgents)
    if (name == a.name) return &a;
  return nullptr;
}

}  // namespace

const std::vector<std::string>& trust_and_split_agent_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& a : kAgents) out.emplace_back(a.name);
    return out;
  }();
  return names;
}

std::shared_ptr<const Policy> make_trust_and_split_agent(const std::string& name, const Params& params) {
  const AgentSpec* spec = find_agent(name);
  if (!spec) return nullptr;
  return std::make_shared<TrustAndSplitAgent>(name, spec->kind, params);
}

int trust_and_split_agent_action(const std::string& name, const Game& game, const int32_t* state, int t, int agent) {
  const AgentSpec* spec = find_agent(name);
  if (!spec) throw Error(codes::kUnknownStrategy, "unknown trust-and-split agent '" + name + "'");
  const ts::TrustAndSplitGame& g = trust_and_split_game(game, name);
  if (agent < 0 || agent > 1 || t < 0)
    throw Error(codes::kInvalidArgument, "agent must be 0 or 1 and the step non-negative");
  return decide(spec->kind, g, state, t, agent);
}

}  // namespace dilemma
