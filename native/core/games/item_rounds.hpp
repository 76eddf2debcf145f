// The rounds that negotiation and split share: two agents, `items` steps per
// round (one per item, t % items is the step's item), simultaneous proposals
// that the other sees only once the round is over. Each game keeps its own
// values and payoffs; this holds the proposal bookkeeping and the
// observation fields it shapes.
#pragma once

#include <cstdint>

namespace dilemma {

struct ItemRounds {
  int items = 3;
  int rounds = 10;
  int scale = 1;     // proposals are observed divided by this (the largest proposal)
  int proposal = 0;  // state offset of this round's proposals, agent 0's items then agent 1's (-1 = not yet)
  int last = 0;      // state offset of last round's (-1 before the first round ends); 2 * items each

  int item(int t) const { return t % items; }

  void reset(int32_t* s) const {
    for (int i = 0; i < 2 * items; ++i) s[proposal + i] = s[last + i] = -1;
  }

  // From obs[2n] on, n = items: the item of this step one-hot (n), own
  // proposals so far this round / scale (n; 0 for items not yet proposed),
  // last round's own and other's proposals / scale (2n), 1 before the first
  // round ends (1), round index / rounds (1). obs starts zeroed.
  void observe(const int32_t* s, int t, int agent, float* obs) const {
    const int n = items, other = 1 - agent;
    for (int j = 0; j < n; ++j) {
      const int mine = s[proposal + agent * n + j];
      if (mine >= 0) obs[3 * n + j] = static_cast<float>(mine) / scale;
    }
    obs[2 * n + item(t)] = 1.0f;
    if (s[last] < 0) {
      obs[6 * n] = 1.0f;
    } else {
      for (int j = 0; j < n; ++j) {
        obs[4 * n + j] = static_cast<float>(s[last + agent * n + j]) / scale;
        obs[5 * n + j] = static_cast<float>(s[last + other * n + j]) / scale;
      }
    }
    obs[6 * n + 1] = static_cast<float>(t / n) / rounds;
  }

  void record(int32_t* s, int t, const int32_t* actions) const {
    for (int i = 0; i < 2; ++i) s[proposal + i * items + item(t)] = actions[i];
  }

  bool round_over(int t) const { return item(t) + 1 >= items; }

  // At a round's last step: this round's proposals become last round's.
  // True when the episode ends with this round.
  bool close_round(int32_t* s, int t) const {
    for (int i = 0; i < 2 * items; ++i) {
      s[last + i] = s[proposal + i];
      s[proposal + i] = -1;
    }
    return t / items + 1 >= rounds;
  }
};

}  // namespace dilemma
