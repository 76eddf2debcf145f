// The scripted IPD round robin: every ordered pair of strategies plays
// `reps` matches of `rounds` rounds, and both seats' mean total payoff per
// match and cooperation rate are kept (what the engine's tournament returns). One xorshift32 stream over the whole tournament,
// drawn only for a probability strictly between 0 and 1, in the order of the
// TypeScript baseline's loop (so the two agree to the last bit).
#include <cstdint>

#include "args.hpp"
#include "draws.hpp"
#include "registry.hpp"

namespace dilemma::reference {
namespace {

// Strategy codes, in the order of the benchmark's names (see bench/reference/index.ts).
enum Strategy : int32_t {
  kAlwaysCooperate,
  kAlwaysDefect,
  kTitForTat,
  kSuspiciousTitForTat,
  kGenerousTitForTat,
  kGrimTrigger,
  kWinStayLoseShift,
  kAlternate,
  kRandom,
  kZdExtortion,
  kStrategies,
};

// zd-extortion with chi = 3 at half the largest valid scale, after CC, CD, DC, DD (own move first).
constexpr double kZd[4] = {1 - 4.0 / 26, 1 - 13.0 / 26, 7.0 / 26, 0};
constexpr double kPayoff[8] = {3, 3, 0, 5, 5, 0, 1, 1};  // seat s's payoff for joint move j at [2 * j + s]

// P(cooperate); own, other: last round's moves (-1 before the first round).
inline double cooperate(int32_t s, bool first, int own, int other, int t, bool triggered) {
  switch (s) {
    case kAlwaysCooperate: return 1;
    case kAlwaysDefect: return 0;
    case kTitForTat: return first || other == 0 ? 1 : 0;
    case kSuspiciousTitForTat: return first ? 0 : (other == 0 ? 1 : 0);
    case kGenerousTitForTat: return first || other == 0 ? 1 : 1.0 / 3;
    case kGrimTrigger: return triggered ? 0 : 1;
    case kWinStayLoseShift: return first || own == other ? 1 : 0;
    case kAlternate: return t % 2 == 0 ? 1 : 0;
    case kRandom: return 0.5;
    default: return first ? 1 : kZd[2 * own + other];
  }
}

inline int move(double p, Xorshift32& x) { return p >= 1 || (p > 0 && x.next() < p) ? 0 : 1; }

// ipdTournament(strategies Int32Array(n), out Float64Array(4 * n * n), rounds, reps, seed): out holds
// four n x n planes, the row player's payoff, the column player's, then their cooperation rates.
Napi::Value ipd_tournament(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw argument_error(info.Env(), "strategies must be an Int32Array");
  const int64_t n = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
  const int32_t* strategies = array_arg<int32_t>(info[0], "strategies", n);
  double* out = array_arg<double>(info[1], "out", 4 * n * n);
  const int rounds = static_cast<int>(integer_arg(info[2], "rounds", 1, 1 << 24));
  const int reps = static_cast<int>(integer_arg(info[3], "reps", 1, 1 << 24));
  const uint32_t seed = static_cast<uint32_t>(integer_arg(info[4], "seed", 0, 0xFFFFFFFFll));
  for (int64_t i = 0; i < n; ++i)
    if (strategies[i] < 0 || strategies[i] >= kStrategies)
      throw argument_error(info.Env(), "strategies[" + std::to_string(i) + "] is not a strategy code");

  Xorshift32 x{seed | 1u};
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const int32_t a = strategies[i], b = strategies[j];
      double total = 0, other_total = 0, coop = 0, other_coop = 0;
      for (int r = 0; r < reps; ++r) {
        int own = -1, other = -1;
        bool gi = false, gj = false;
        for (int t = 0; t < rounds; ++t) {
          const bool first = t == 0;
          if (!first && other == 1) gi = true;
          if (!first && own == 1) gj = true;
          const double pi = cooperate(a, first, own, other, t, gi), pj = cooperate(b, first, other, own, t, gj);
          const int mi = move(pi, x);
          const int mj = move(pj, x);
          const int joint = 2 * mi + mj;
          total += kPayoff[2 * joint];
          other_total += kPayoff[2 * joint + 1];
          coop += 1 - mi;
          other_coop += 1 - mj;
          own = mi;
          other = mj;
        }
      }
      const int64_t k = i * n + j, nn = n * n;
      out[k] = total / reps;
      out[nn + k] = other_total / reps;
      out[2 * nn + k] = coop / (static_cast<double>(reps) * rounds);
      out[3 * nn + k] = other_coop / (static_cast<double>(reps) * rounds);
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void register_ipd_tournament(Napi::Env env, Napi::Object exports) {
  exports.Set("ipdTournament", Napi::Function::New(env, ipd_tournament, "ipdTournament"));
}

}  // namespace dilemma::reference
