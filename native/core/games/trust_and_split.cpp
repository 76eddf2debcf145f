// Trust-and-split: rules, vocabulary parsing and observations. The layouts
// and the rules in words are in trust_and_split.hpp.
#include "trust_and_split.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "../error.hpp"
#include "common_rules.hpp"

namespace dilemma {
namespace trust_and_split {
namespace {

// EnvDraw slots of the hands. Reset draws at counter 0 and deals at
// proposal steps (t >= 2), so the two never share a counter; distinct slots
// keep that true should the round ever change shape.
enum DrawSlot : uint32_t {
  kDrawStart0 = 0,
  kDrawStart1 = 1,
  kDrawDeal0 = 2,
  kDrawDeal1 = 3,
};

bool parse_take(const std::string& name, int* k) {
  static const std::string prefix = "take-";
  if (name.size() <= prefix.size() || name.size() > prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0)
    return false;
  int v = 0;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = 10 * v + (name[i] - '0');
  }
  *k = v;
  return true;
}

}  // namespace

const char* hand_name(int hand) {
  switch (hand) {
    case kRock: return "rock";
    case kPaper: return "paper";
    case kScissors: return "scissors";
    default: return "none";
  }
}

std::string token_name(const Token& token) {
  switch (token.kind) {
    case Token::kClaim: return std::string("claim-") + hand_name(token.value);
    case Token::kTake: return "take-" + std::to_string(token.value);
    default: return "none";
  }
}

std::vector<Token> parse_vocabulary(const std::string& spec, int coins, const std::string& name) {
  std::vector<Token> out;
  const Token claims[3] = {{Token::kClaim, kRock}, {Token::kClaim, kPaper}, {Token::kClaim, kScissors}};
  if (spec == "default" || spec == "claims" || spec == "silent") {
    if (spec != "silent") out.assign(claims, claims + 3);
    if (spec == "default")
      for (const double fraction : {0.0, 0.2, 0.5, 0.8, 1.0}) {
        const Token take{Token::kTake, static_cast<int>(std::lround(fraction * coins))};
        if (!(out.back() == take)) out.push_back(take);
      }
    out.push_back({Token::kNone, 0});
    return out;
  }
  const auto separator = [](char c) { return c == ',' || std::isspace(static_cast<unsigned char>(c)); };
  size_t i = 0;
  while (i < spec.size()) {
    if (separator(spec[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < spec.size() && !separator(spec[j])) ++j;
    const std::string word = spec.substr(i, j - i);
    i = j;
    Token token{Token::kNone, 0};
    int k = 0;
    if (word == "none") {
    } else if (word == "claim-rock" || word == "claim-paper" || word == "claim-scissors") {
      token = {Token::kClaim, word == "claim-rock" ? kRock : (word == "claim-paper" ? kPaper : kScissors)};
    } else if (parse_take(word, &k)) {
      if (k > coins)
        throw Error(codes::kInvalidParam, name + " token '" + word + "' takes more than the " + std::to_string(coins) +
                                              " coins");
      token = {Token::kTake, k};
    } else {
      throw Error(codes::kInvalidParam,
                  name + " token '" + word +
                      "' is unknown (known: none, claim-rock, claim-paper, claim-scissors, take-K for K in 0..coins; "
                      "or a preset: default, claims, silent)");
    }
    for (const Token& seen : out)
      if (seen == token) throw Error(codes::kInvalidParam, name + " repeats token '" + word + "'");
    out.push_back(token);
    if (static_cast<int>(out.size()) > kMaxTokens)
      throw Error(codes::kInvalidParam, name + " has more than " + std::to_string(kMaxTokens) + " tokens");
  }
  if (out.empty()) throw Error(codes::kInvalidParam, name + " must name at least one token or a preset");
  return out;
}

static const ParamSpecs& specs() {
  static const ParamSpecs s = {
      rounds_param(10, "Rounds per episode, three steps each (message, message, proposals)."),
      ParamSpec::integer("coins", 10, 1, 1000, "Coins split each round; proposals are 0..coins."),
      ParamSpec::number("highValue", 10.0, 0.0, 1e6, "Value per coin of the round's rock-paper-scissors winner."),
      ParamSpec::number("lowValue", 1.0, 0.0, 1e6, "Value per coin of the loser (not above highValue)."),
      ParamSpec::tokens("messages", "default", {"default", "claims", "silent"}, kMaxTokens,
                        "The message vocabulary: a preset (default: claim-rock, claim-paper, claim-scissors, take-K for "
                        "0, 20%, 50%, 80%, 100% of the coins, none; claims: the claims and none; silent: none) or "
                        "tokens in action order, as an array or one string separated by spaces or commas: none, "
                        "claim-rock, claim-paper, claim-scissors, take-K (suggests \"I take K coins\", K in 0..coins)."),
      ParamSpec::flag("alternateSpeaker", true,
                      "The first speaker alternates by round (agent 0 first in round 0); false: agent 0 always first."),
  };
  return s;
}

TrustAndSplitGame::TrustAndSplitGame(const Params& p) {
  const ParamSpecs& s = specs();
  rounds_ = p.integer(spec_of(s, "rounds"));
  coins_ = p.integer(spec_of(s, "coins"));
  high_ = p.number(spec_of(s, "highValue"));
  low_ = p.number(spec_of(s, "lowValue"));
  require_ordered(p, "lowValue", low_, "highValue", high_, false);
  alternate_ = p.flag(spec_of(s, "alternateSpeaker"));
  vocab_ = parse_vocabulary(p.text(spec_of(s, "messages")), coins_, p.owner() + ".messages");
  const int m = tokens();
  info_ = GameInfo{"trust-and-split", 2, 2 * m + 25, m + coins_ + 2, kStepsPerRound * rounds_, kStateSize};
  declare_stats(kClaimsTrue, {"claims_true_0", "claims_true_1", "claims_0", "claims_1", "welfare", "max_welfare",
                              "agreements", "rounds_played"});
}

int TrustAndSplitGame::find_token(Token::Kind kind, int value) const {
  for (int i = 0; i < tokens(); ++i)
    if (vocab_[i].kind == kind && (kind == Token::kNone || vocab_[i].value == value)) return i;
  return -1;
}

int TrustAndSplitGame::speaker(int t) const {
  const int first = first_speaker(round_of(t));
  switch (phase_of(t)) {
    case kFirstMessage: return first;
    case kSecondMessage: return 1 - first;
    default: return -1;
  }
}

double TrustAndSplitGame::last_reward(const int32_t* s, int agent) const {
  if (s[kLastProposal] < 0) return 0.0;
  const double v = beats(last_hand(s, agent), last_hand(s, 1 - agent)) ? high_ : low_;
  return v * share(last_proposal(s, agent), last_proposal(s, 1 - agent), coins_);
}

void TrustAndSplitGame::deal(int32_t* s, float u0, float u1) const {
  // Agent 0's hand uniformly, agent 1's uniformly among the other two.
  const int h0 = pick(u0, kHands);
  int h1 = pick(u1, kHands - 1);
  if (h1 >= h0) ++h1;
  s[kHand] = h0;
  s[kHand + 1] = h1;
}

void TrustAndSplitGame::reset(int32_t* s, const EnvDraw& draw) const {
  deal(s, draw.uniform(kDrawStart0), draw.uniform(kDrawStart1));
  for (int i = kMessage; i < kClaimsTrue; ++i) s[i] = -1;
  for (int i = kClaimsTrue; i < kStateSize; ++i) s[i] = 0;
}

void TrustAndSplitGame::observe(const int32_t* s, int t, int agent, float* obs) const {
  std::memset(obs, 0, sizeof(float) * info_.obs_dim);
  const int other = 1 - agent, m = tokens();
  obs[kObsHand + hand(s, agent)] = 1.0f;
  obs[kObsPhase + phase_of(t)] = 1.0f;
  obs[kObsFirst] = first_speaker(round_of(t)) == agent ? 1.0f : 0.0f;
  const int said = message(s, other);
  obs[obs_message() + (said < 0 ? m : said)] = 1.0f;
  const int last = last_hand(s, other);
  obs[obs_last_hand() + (last < 0 ? kHands : last)] = 1.0f;
  const int last_said = last_message(s, other);
  obs[obs_last_message() + (last_said < 0 ? m : last_said)] = 1.0f;
  if (s[kLastProposal] >= 0) {
    obs[obs_last_proposal()] = static_cast<float>(last_proposal(s, agent)) / coins_;
    obs[obs_last_proposal() + 1] = static_cast<float>(last_proposal(s, other)) / coins_;
    const double scale = high_ > 0 ? coins_ * high_ : 1.0;
    obs[obs_last_reward()] = static_cast<float>(last_reward(s, agent) / scale);
    obs[obs_last_reward() + 1] = static_cast<float>(last_reward(s, other) / scale);
  }
  obs[obs_round()] = static_cast<float>(round_of(t)) / rounds_;
  const Token* claim = said >= 0 && vocab_[said].kind == Token::kClaim ? &vocab_[said] : nullptr;
  const int mine = hand(s, agent);
  const int relation = !claim ? 3 : (beats(claim->value, mine) ? 0 : (beats(mine, claim->value) ? 1 : 2));
  obs[obs_claim_relation() + relation] = 1.0f;
  const Token* last_claim =
      last_said >= 0 && last >= 0 && vocab_[last_said].kind == Token::kClaim ? &vocab_[last_said] : nullptr;
  obs[obs_last_truth() + (!last_claim ? 2 : (last_claim->value == last ? 0 : 1))] = 1.0f;
}

void TrustAndSplitGame::legal_actions(const int32_t*, int t, int agent, uint8_t* mask) const {
  std::memset(mask, 0, info_.actions);
  const int who = speaker(t);
  if (who < 0) {
    for (int x = 0; x <= coins_; ++x) mask[proposal_action(x)] = 1;
  } else if (who == agent) {
    for (int k = 0; k < tokens(); ++k) mask[message_action(k)] = 1;
  } else {
    mask[wait_action()] = 1;
  }
}

bool TrustAndSplitGame::step(int32_t* s, int t, const int32_t* actions, float* rewards, const EnvDraw& draw) const {
  rewards[0] = rewards[1] = 0.0f;
  const int who = speaker(t);
  if (who >= 0) {
    const int a = actions[who];
    const int token = is_message_action(a) ? a - message_action(0) : -1;
    s[kMessage + who] = token;
    if (token >= 0 && vocab_[token].kind == Token::kClaim) {
      ++s[kClaims + who];
      if (vocab_[token].value == hand(s, who)) ++s[kClaimsTrue + who];
    }
    return false;
  }

  int x[2];
  for (int i = 0; i < 2; ++i) x[i] = is_proposal_action(actions[i]) ? actions[i] - proposal_action(0) : 0;
  const double v[2] = {value(s, 0), value(s, 1)};
  double r[2];
  for (int i = 0; i < 2; ++i) {
    r[i] = v[i] * share(x[i], x[1 - i], coins_);
    rewards[i] = static_cast<float>(r[i]);
  }
  add_saturated(s[kWelfare], 100.0 * (r[0] + r[1]));
  add_saturated(s[kMaxWelfare], 100.0 * coins_ * (v[0] > v[1] ? v[0] : v[1]));
  if (x[0] + x[1] == coins_) ++s[kAgreements];
  ++s[kRoundsPlayed];
  for (int i = 0; i < 2; ++i) {
    s[kLastHand + i] = s[kHand + i];
    s[kLastMessage + i] = s[kMessage + i];
    s[kLastProposal + i] = x[i];
    s[kMessage + i] = -1;
  }
  deal(s, draw.uniform(kDrawDeal0), draw.uniform(kDrawDeal1));
  return round_of(t) + 1 >= rounds_;
}

GameLayout TrustAndSplitGame::layout() const {
  const int m = tokens();
  GameLayout l;
  l.observation = {
      {"hand", kObsHand, kHands, "own hand this round, one-hot in the order of the hands fact"},
      {"phase", kObsPhase, kStepsPerRound, "step within the round: first message, second message, proposals (one-hot)"},
      {"firstSpeaker", kObsFirst, 1, "1 when this agent speaks first this round"},
      {"otherMessage", obs_message(), m + 1, "the other's message this round: token one-hot, then nothing (yet)"},
      {"otherLastHand", obs_last_hand(), kHands + 1, "the other's hand last round, then none before the first round ends"},
      {"otherLastMessage", obs_last_message(), m + 1, "the other's message last round, as otherMessage"},
      {"lastProposals", obs_last_proposal(), 2, "own then other's proposal last round / coins"},
      {"lastRewards", obs_last_reward(), 2, "own then other's reward last round / (coins x winner's value)"},
      {"round", obs_round(), 1, "round index / rounds"},
      {"claimRelation", obs_claim_relation(), 4,
       "the other's hand claim this round against own hand: beats it, beaten by it, names it, no claim (one-hot)"},
      {"lastClaimTruth", obs_last_truth(), 3, "the other's claim last round against its revealed hand: true, false, no claim"},
  };
  l.actions = {
      {"message", message_action(0), m, "send message token i (the messages fact), legal to the speaker at a message step"},
      {"proposal", proposal_action(0), coins_ + 1, "propose to take x = 0..coins coins, legal at the proposal step"},
      {"wait", wait_action(), 1, "the only legal action of the agent that does not speak at a message step"},
  };
  GameFact hands{"hands", {}, {}, "the rock-paper-scissors hands, in the order hand indices use"};
  GameFact beaten{"beats", {}, {}, "for each hand, the index of the hand it beats"};
  for (int h = 0; h < kHands; ++h) {
    hands.labels.push_back(hand_name(h));
    for (int o = 0; o < kHands; ++o)
      if (beats(h, o)) beaten.numbers.push_back(o);
  }
  GameFact messages{"messages", {}, {}, "the message tokens, in action order"};
  for (const Token& token : vocab_) messages.labels.push_back(token_name(token));
  l.facts = {
      hands,
      beaten,
      {"coinValues", {high_, low_}, {"winner", "loser"}, "points per coin for the agent whose hand wins, and loses"},
      {"ties", {0}, {}, "1 when equal hands may be dealt; this game always deals two different hands"},
      messages,
      {"stepsPerRound", {kStepsPerRound}, {}, "steps of a round: first message, second message, proposals"},
  };
  return l;
}

}  // namespace trust_and_split

namespace {
const GameRegistrar registrar(
    "trust-and-split", "cheap-talk messages, then a split of coins whose values follow a rock-paper-scissors round",
    trust_and_split::specs, make_game_of<trust_and_split::TrustAndSplitGame>);
}  // namespace

}  // namespace dilemma
