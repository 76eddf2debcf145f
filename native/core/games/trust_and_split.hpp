// Trust-and-split (the seed paper's game), as data a scripted policy or a
// metric can read: the state layout, accessors over the flat int32 state,
// the message vocabulary, and the action and observation layouts.
//
// Each round two different rock-paper-scissors hands are dealt; the winner's
// coins are worth `highValue` each, the loser's `lowValue`, and each agent
// sees only its own hand. A round is three steps:
//   A (kFirstMessage)  the first speaker sends a message; the other waits,
//   B (kSecondMessage) the second speaker, who has seen the first message,
//                      sends one; the first speaker waits,
//   C (kPropose)       both propose at once how many of `coins` coins they
//                      take, x_i in 0..coins. Agent i gets
//                      q_i = coins * x_i / max(coins, x_0 + x_1) coins, worth
//                      q_i times its own value.
// Agent 0 speaks first in round 0; with `alternateSpeaker` the first speaker
// then alternates by round.
//
// Actions are one discrete space: [message tokens (M), proposals 0..coins,
// wait]. At A and B the speaker's legal actions are the message tokens and
// the other's only legal action is wait; at C the proposals are legal. An
// illegal action is played as the step's default (a speaker sends nothing,
// a proposer proposes 0), so a caller that ignores the masks still gets a
// defined game.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../game.hpp"

namespace dilemma::trust_and_split {

enum Hand : int { kRock = 0, kPaper = 1, kScissors = 2 };
inline constexpr int kHands = 3;
const char* hand_name(int hand);

// Paper covers rock, scissors cut paper, rock blunts scissors.
inline bool beats(int a, int b) { return (a - b + kHands) % kHands == 1; }

enum Phase : int { kFirstMessage = 0, kSecondMessage = 1, kPropose = 2 };
inline constexpr int kStepsPerRound = 3;
inline int round_of(int t) { return t / kStepsPerRound; }
inline int phase_of(int t) { return t % kStepsPerRound; }

// State layout: per-agent pairs are [agent 0, agent 1].
enum Slot : int {
  kHand = 0,           // this round's hands
  kMessage = 2,        // this round's messages: token index, -1 = nothing sent (yet)
  kLastHand = 4,       // last round's hands; -1 until the first round ends
  kLastMessage = 6,    // last round's messages (token index or -1)
  kLastProposal = 8,   // last round's proposals 0..coins; -1 until the first round ends
  kClaimsTrue = 10,    // hand claims that named the sender's real hand, this episode
  kClaims = 12,        // hand claims sent, this episode
  kWelfare = 14,       // sum of both agents' rewards x 100, rounded per round
  kMaxWelfare = 15,    // the most the rounds could have paid (all coins to the winner) x 100
  kAgreements = 16,    // rounds with x_0 + x_1 == coins
  kRoundsPlayed = 17,  // rounds finished
  kStateSize = 18,
};

inline int hand(const int32_t* s, int agent) { return s[kHand + agent]; }
inline int message(const int32_t* s, int agent) { return s[kMessage + agent]; }
inline int last_hand(const int32_t* s, int agent) { return s[kLastHand + agent]; }
inline int last_message(const int32_t* s, int agent) { return s[kLastMessage + agent]; }
inline int last_proposal(const int32_t* s, int agent) { return s[kLastProposal + agent]; }
inline int rounds_played(const int32_t* s) { return s[kRoundsPlayed]; }
inline bool wins(const int32_t* s, int agent) { return beats(hand(s, agent), hand(s, 1 - agent)); }

// The coins agent gets when it proposes x and the other y: proportional
// scaling once the proposals ask for more than there is.
inline double share(int x, int y, int coins) {
  const int total = x + y > coins ? x + y : coins;
  return static_cast<double>(coins) * x / total;
}

// A message: no message, a claim of a hand (value = Hand), or "I take
// `value` coins".
struct Token {
  enum Kind : int { kNone = 0, kClaim = 1, kTake = 2 };
  Kind kind;
  int value;
  bool operator==(const Token& o) const { return kind == o.kind && value == o.value; }
};

// "none", "claim-rock", "claim-paper", "claim-scissors", "take-K".
std::string token_name(const Token& token);

// The vocabulary of a `messages` parameter: a preset name, or token names
// separated by spaces or commas. Presets: "default" (the three claims, take
// 0, 20%, 50%, 80% and 100% of the coins rounded, duplicates dropped: for 10
// coins take-0, take-2, take-5, take-8, take-10; then none), "claims" (the
// three claims, none) and "silent" (none). Throws ERR_INVALID_PARAM naming
// `name` for an unknown token, a take beyond `coins`, a repeated token, an
// empty list or more than kMaxTokens tokens.
inline constexpr int kMaxTokens = 64;
std::vector<Token> parse_vocabulary(const std::string& spec, int coins, const std::string& name);

class TrustAndSplitGame final : public Game {
 public:
  explicit TrustAndSplitGame(const Params& p);

  int rounds() const { return rounds_; }
  int coins() const { return coins_; }
  double high_value() const { return high_; }
  double low_value() const { return low_; }
  bool alternate_speaker() const { return alternate_; }
  const std::vector<Token>& vocabulary() const { return vocab_; }
  int tokens() const { return static_cast<int>(vocab_.size()); }
  // Index of a token in the vocabulary, -1 when it is not there.
  int find_token(Token::Kind kind, int value = 0) const;

  int first_speaker(int round) const { return alternate_ && round % 2 == 1 ? 1 : 0; }
  // Who may send a message at step t; -1 at a proposal step.
  int speaker(int t) const;

  // Action layout.
  int message_action(int token) const { return token; }
  int proposal_action(int x) const { return tokens() + x; }
  int wait_action() const { return tokens() + coins_ + 1; }
  bool is_message_action(int a) const { return a >= 0 && a < tokens(); }
  bool is_proposal_action(int a) const { return a >= tokens() && a <= tokens() + coins_; }

  // agent's coin value this round (its hand against the other's).
  double value(const int32_t* s, int agent) const { return wins(s, agent) ? high_ : low_; }
  // agent's reward in the last round, 0 before the first round ends.
  double last_reward(const int32_t* s, int agent) const;

  // Observation layout (obs_dim = 2 M + 25 floats for M tokens), from the
  // observing agent's side:
  //   kObsHand           own hand, one-hot (3)
  //   kObsPhase          step within the round A, B, C, one-hot (3)
  //   kObsFirst          1 when this agent speaks first this round (1)
  //   obs_message()      the other's message this round: token one-hot, then
  //                      "nothing (yet)" (M + 1)
  //   obs_last_hand()    the other's hand last round: rock, paper, scissors,
  //                      none before the first round ends (4)
  //   obs_last_message() the other's message last round, as obs_message (M + 1)
  //   obs_last_proposal() own then other's proposal last round / coins (2)
  //   obs_last_reward()  own then other's reward last round / (coins * highValue) (2)
  //   obs_round()        round index / rounds (1)
  //   obs_claim_relation() the other's hand claim this round against own
  //                      hand: it beats mine, mine beats it, it names my hand
  //                      (a sure lie), no claim (yet) (4)
  //   obs_last_truth()   the other's hand claim last round against the hand
  //                      it then revealed: true, false, no claim (3)
  // The last two are functions of the rest, given so that a small policy can
  // act on who would win by the claims and on a caught lie without first
  // learning the rules of rock-paper-scissors.
  static constexpr int kObsHand = 0;
  static constexpr int kObsPhase = 3;
  static constexpr int kObsFirst = 6;
  static constexpr int kObsMessage = 7;
  int obs_message() const { return kObsMessage; }
  int obs_last_hand() const { return kObsMessage + tokens() + 1; }
  int obs_last_message() const { return obs_last_hand() + kHands + 1; }
  int obs_last_proposal() const { return obs_last_message() + tokens() + 1; }
  int obs_last_reward() const { return obs_last_proposal() + 2; }
  int obs_round() const { return obs_last_reward() + 2; }
  int obs_claim_relation() const { return obs_round() + 1; }
  int obs_last_truth() const { return obs_claim_relation() + 4; }

  void reset(int32_t* state, const EnvDraw& draw) const override;
  void observe(const int32_t* state, int t, int agent, float* obs) const override;
  bool step(int32_t* state, int t, const int32_t* actions, float* rewards, const EnvDraw& draw) const override;
  bool has_illegal_actions() const override { return true; }
  void legal_actions(const int32_t* state, int t, int agent, uint8_t* mask) const override;
  // The observation and action layouts above by name, and the public rules:
  // the hands, which hand each beats, the winner's and loser's coin values,
  // that no tie is dealt, the message tokens and the steps of a round.
  GameLayout layout() const override;

 private:
  void deal(int32_t* s, float u0, float u1) const;

  int rounds_ = 10;
  int coins_ = 10;
  double high_ = 10;
  double low_ = 1;
  bool alternate_ = true;
  std::vector<Token> vocab_;
};

}  // namespace dilemma::trust_and_split
