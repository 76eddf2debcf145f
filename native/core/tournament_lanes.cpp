#include "tournament_lanes.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "draws.hpp"
#include "parallel.hpp"
#include "scripted_matrix.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DILEMMA_LANES_AVX2 1
#endif

namespace dilemma {

namespace {

constexpr int kLanes = 8;
// Steps per schedule of draws (a multiple of eight, for the draws' registers).
constexpr int kChunk = 248;
// Groups of eight pairs that step through one rollout together: their
// tables and state stay in L1, and independent groups overlap in the
// pipeline.
constexpr int kBlock = 16;
// Pair-rounds below which a tournament's lanes stay on one thread: waking a
// second costs more than they take.
constexpr int64_t kMinPairRoundsPerThread = int64_t{1} << 18;

// Whether the lane state (last joint move, the round's parity, whether the
// other seat ever defected) is all that the strategy reads.
bool lanes_cover(strategy::Kind kind) {
  switch (kind) {
    case strategy::Kind::kAlwaysCooperate:
    case strategy::Kind::kAlwaysDefect:
    case strategy::Kind::kTitForTat:
    case strategy::Kind::kSuspiciousTitForTat:
    case strategy::Kind::kGenerousTitForTat:
    case strategy::Kind::kGrimTrigger:
    case strategy::Kind::kWinStayLoseShift:
    case strategy::Kind::kAlternate:
    case strategy::Kind::kRandom:
    case strategy::Kind::kZdExtortion:
      return true;
  }
  return false;
}

// strategy::cooperates(p, u) for u = k / 2^24 (k the draw's 24 bits) is
// k < threshold(p): u < p exactly when k < p * 2^24, and p * 2^24 is exact.
int32_t threshold(double p) {
  if (p >= 1.0) return int32_t{1} << 24;
  if (!(p > 0.0)) return 0;
  return static_cast<int32_t>(std::ceil(p * 16777216.0));
}

// True when summing `terms` rewards of the table gives the same double in
// any order: every reward is a multiple of 2^low and every partial sum,
// below terms * max |reward|, is an integer multiple of it under 2^53 (so
// each addition is exact).
bool sums_exact(const matrix::Rules& r, double terms) {
  int low = INT_MAX;
  double big = 0;
  for (const float x : r.rewards) {
    if (!std::isfinite(x)) return false;
    if (x == 0.0f) continue;
    int e = 0;
    const double m = std::frexp(static_cast<double>(x), &e);
    const auto mant = static_cast<uint64_t>(std::ldexp(std::fabs(m), 24));  // a float's 24-bit significand
    low = std::min(low, e - 24 + __builtin_ctzll(mant));
    big = std::max(big, std::fabs(static_cast<double>(x)));
  }
  return big == 0 || std::ldexp(terms * big, -low) < 0x1p52;
}

#ifdef DILEMMA_LANES_AVX2
bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#else
bool has_avx2() { return false; }
#endif

// One step's draws of one rollout index, the same for every lane: the
// scripted draws' 24 bits for both seats and the noise flips (0 or 1).
struct StepDraws {
  int32_t k0, k1, f0, f1;
};

// A group's thresholds, per seat and lane: at the first round; after each
// joint move (2 * own + other, the seat's own view) at even and odd rounds
// (only alternate tells them apart); and -1 where the strategy never
// cooperates again once the other seat has defected (grim trigger).
struct alignas(32) GroupTables {
  int32_t first[2][kLanes];
  int32_t after[2][2][4][kLanes];
  int32_t grim[2][kLanes];
};

// Per group of eight lanes: each seat's last move as a mask (-1: defected,
// after the noise), whether it plays grim trigger and was betrayed, and
// counts over the steps since the last flush: defections of seat 0, of
// seat 1, of both, and with noise the intended cooperations (which the
// flips do not change).
struct alignas(32) GroupState {
  int32_t d0[kLanes], d1[kLanes], z0[kLanes], z1[kLanes];
  int32_t n0[kLanes], n1[kLanes], n01[kLanes], coop0[kLanes], coop1[kLanes];
};

struct LaneTotals {
  int64_t joint[4] = {0, 0, 0, 0};
  int64_t coop[2] = {0, 0};
};

#ifdef DILEMMA_LANES_AVX2
__attribute__((target("avx2"), always_inline)) inline __m256i load(const int32_t* p) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
}
__attribute__((target("avx2"), always_inline)) inline void store(int32_t* p, __m256i v) {
  _mm256_store_si256(reinterpret_cast<__m256i*>(p), v);
}

// One seat's threshold after a round: the entry for (own, other) by two
// levels of blends (no gathers), and 0 for grim trigger once betrayed (z).
__attribute__((target("avx2"), always_inline)) inline __m256i after(const int32_t (*table)[kLanes], __m256i own,
                                                                    __m256i other, __m256i z) {
  const __m256i if_own_c = _mm256_blendv_epi8(load(table[0]), load(table[1]), other);
  const __m256i if_own_d = _mm256_blendv_epi8(load(table[2]), load(table[3]), other);
  return _mm256_andnot_si256(z, _mm256_blendv_epi8(if_own_c, if_own_d, own));
}

// Steps t0 .. t0 + n - 1 of kG groups, their state in registers for the
// whole run of steps; groups interleave because one group's step waits on
// its previous step.
template <bool kNoisy, int kG>
__attribute__((target("avx2"))) void play_steps(const GroupTables* tab, GroupState* s, const StepDraws* d, int n,
                                                int t0) {
  __m256i d0[kG], d1[kG], z0[kG], z1[kG], n0[kG], n1[kG], n01[kG], q0[kG], q1[kG];
  for (int g = 0; g < kG; ++g) {
    d0[g] = load(s[g].d0), d1[g] = load(s[g].d1), z0[g] = load(s[g].z0), z1[g] = load(s[g].z1);
    n0[g] = load(s[g].n0), n1[g] = load(s[g].n1), n01[g] = load(s[g].n01);
    q0[g] = load(s[g].coop0), q1[g] = load(s[g].coop1);
  }
  for (int i = 0; i < n; ++i) {
    const int t = t0 + i;
    const __m256i k0 = _mm256_set1_epi32(d[i].k0), k1 = _mm256_set1_epi32(d[i].k1);
    // xor with a cooperation mask gives the defection mask after the noise.
    const __m256i x0 = _mm256_set1_epi32(d[i].f0 - 1), x1 = _mm256_set1_epi32(d[i].f1 - 1);
    for (int g = 0; g < kG; ++g) {
      __m256i c0, c1;
      if (t == 0) {
        c0 = _mm256_cmpgt_epi32(load(tab[g].first[0]), k0);
        c1 = _mm256_cmpgt_epi32(load(tab[g].first[1]), k1);
      } else {
        c0 = _mm256_cmpgt_epi32(after(tab[g].after[0][t & 1], d0[g], d1[g], z0[g]), k0);
        c1 = _mm256_cmpgt_epi32(after(tab[g].after[1][t & 1], d1[g], d0[g], z1[g]), k1);
      }
      if (kNoisy) {
        q0[g] = _mm256_sub_epi32(q0[g], c0);
        q1[g] = _mm256_sub_epi32(q1[g], c1);
      }
      d0[g] = _mm256_xor_si256(c0, x0);
      d1[g] = _mm256_xor_si256(c1, x1);
      n0[g] = _mm256_sub_epi32(n0[g], d0[g]);
      n1[g] = _mm256_sub_epi32(n1[g], d1[g]);
      n01[g] = _mm256_sub_epi32(n01[g], _mm256_and_si256(d0[g], d1[g]));
      z0[g] = _mm256_or_si256(z0[g], _mm256_and_si256(load(tab[g].grim[0]), d1[g]));
      z1[g] = _mm256_or_si256(z1[g], _mm256_and_si256(load(tab[g].grim[1]), d0[g]));
    }
  }
  for (int g = 0; g < kG; ++g) {
    store(s[g].d0, d0[g]), store(s[g].d1, d1[g]), store(s[g].z0, z0[g]), store(s[g].z1, z1[g]);
    store(s[g].n0, n0[g]), store(s[g].n1, n1[g]), store(s[g].n01, n01[g]);
    store(s[g].coop0, q0[g]), store(s[g].coop1, q1[g]);
  }
}

template <bool kNoisy>
void play_all(const GroupTables* tab, GroupState* s, int groups, const StepDraws* d, int n, int t0) {
  int g = 0;
  for (; g + 2 <= groups; g += 2) play_steps<kNoisy, 2>(tab + g, s + g, d, n, t0);
  if (g < groups) play_steps<kNoisy, 1>(tab + g, s + g, d, n, t0);
}
#endif

// The draws of rollout b at steps t0 .. t0 + n - 1, as the general path
// makes them (strategy draws at stream b, the game's at its stream), and how
// many of those steps the rollout takes: fewer than n when it ends.
struct Schedule {
  const TournamentLanes& plan;
  const RolloutOptions& o;
  bool scripted_draws, env_draws;
  float u[2 * kChunk], w[3 * kChunk];
  StepDraws d[kChunk];

  int fill(int64_t b, int t0, int n, bool* ended) {
    const matrix::Rules& r = *plan.rules;
    const uint32_t stream = o.groups.empty() ? static_cast<uint32_t>(b) : o.groups[b];
    if (scripted_draws)
      rng::uniform_steps(o.seed, static_cast<uint32_t>(b), 0, static_cast<uint32_t>(t0), n, rng::kScripted, 0, 2, u);
    if (env_draws) rng::uniform_steps(o.seed, stream, 0, static_cast<uint32_t>(t0), n, rng::kEnv, 0, 3, w);
    const bool noisy = r.noise > 0;
    for (int i = 0; i < n; ++i) {
      const int t = t0 + i;
      StepDraws& s = d[i];
      s.k0 = scripted_draws ? static_cast<int32_t>(u[i] * 16777216.0f) : 0;
      s.k1 = scripted_draws ? static_cast<int32_t>(u[n + i] * 16777216.0f) : 0;
      s.f0 = noisy && w[i] < r.noise;
      s.f1 = noisy && w[n + i] < r.noise;
      // matrix::step's end of an episode, then the rollout's.
      const bool random_end = r.continuation < 1.0 && t + 1 < r.rounds;
      const bool done = t + 1 >= r.rounds || (random_end && w[2 * n + i] >= r.continuation) || t + 1 >= plan.max_steps;
      if (done) {
        *ended = true;
        return i + 1;
      }
    }
    *ended = false;
    return n;
  }
};

// The tables of pairs [q0, q0 + 8 * groups) of plan.pairs; lanes past the
// last pair repeat the group's first lane.
void build_tables(const TournamentLanes& plan, int64_t q0, int groups, GroupTables* tables) {
  const int64_t count = static_cast<int64_t>(plan.pairs.size());
  for (int g = 0; g < groups; ++g)
    for (int lane = 0; lane < kLanes; ++lane) {
      const int64_t q = q0 + g * kLanes + lane;
      const LanePair& pair = plan.pairs[q < count ? q : q0 + g * kLanes];
      const int player[2] = {pair.row, pair.column};
      GroupTables& tab = tables[g];
      for (int seat = 0; seat < 2; ++seat) {
        const strategy::Rule& rule = plan.rule[2 * player[seat] + seat];
        int32_t memory = 0;
        tab.first[seat][lane] = threshold(strategy::cooperate_probability(rule, -1, -1, 0, &memory));
        tab.grim[seat][lane] = rule.kind == strategy::Kind::kGrimTrigger ? -1 : 0;
        // Rounds 2 and 3 stand for every later even and odd round.
        for (int parity = 0; parity < 2; ++parity)
          for (int j = 0; j < 4; ++j) {
            memory = 0;
            const double pc = strategy::cooperate_probability(rule, j >> 1, j & 1, 2 + parity, &memory);
            tab.after[seat][parity][j][lane] = threshold(pc);
          }
      }
    }
}

// Plays groups [g0, g1) of plan.pairs and writes their pairs' entries of r.
void play_groups(const TournamentLanes& plan, const RolloutOptions& o, int64_t g0, int64_t g1, TournamentResult* r) {
#ifdef DILEMMA_LANES_AVX2
  const matrix::Rules& rules = *plan.rules;
  const int T = plan.steps;
  const int64_t count = static_cast<int64_t>(plan.pairs.size());
  const bool noisy = rules.noise > 0;
  std::vector<GroupTables> tables(kBlock);
  std::vector<GroupState> state(kBlock);
  std::vector<LaneTotals> totals(static_cast<size_t>(kBlock) * kLanes);
  auto schedule = std::make_unique<Schedule>(Schedule{plan, o, false, noisy || rules.continuation < 1.0, {}, {}, {}});
  for (int64_t gb = g0; gb < g1; gb += kBlock) {
    const int groups = static_cast<int>(std::min<int64_t>(kBlock, g1 - gb));
    const int64_t q0 = gb * kLanes;
    build_tables(plan, q0, groups, tables.data());
    // Draw only when a lane's rule can give a probability strictly between 0 and 1.
    schedule->scripted_draws = false;
    for (int64_t q = q0; q < std::min(count, q0 + int64_t{groups} * kLanes); ++q) {
      const LanePair& pair = plan.pairs[q];
      schedule->scripted_draws |= strategy::stochastic(plan.rule[2 * pair.row].kind) ||
                                  strategy::stochastic(plan.rule[2 * pair.column + 1].kind);
    }
    std::fill(totals.begin(), totals.end(), LaneTotals{});
    int64_t live = 0;
    for (int64_t b = 0; b < o.batch; ++b) {
      std::fill(state.begin(), state.begin() + groups, GroupState{});
      for (int t0 = 0; t0 < T; t0 += kChunk) {
        bool ended = false;
        const int n = schedule->fill(b, t0, std::min(kChunk, T - t0), &ended);
        if (noisy)
          play_all<true>(tables.data(), state.data(), groups, schedule->d, n, t0);
        else
          play_all<false>(tables.data(), state.data(), groups, schedule->d, n, t0);
        live += n;
        for (int g = 0; g < groups; ++g) {
          GroupState& s = state[g];
          for (int lane = 0; lane < kLanes; ++lane) {
            LaneTotals& x = totals[g * kLanes + lane];
            // Joint moves 2 * a0 + a1 from the defection counts.
            x.joint[3] += s.n01[lane];
            x.joint[2] += s.n0[lane] - s.n01[lane];
            x.joint[1] += s.n1[lane] - s.n01[lane];
            x.joint[0] += n - s.n0[lane] - s.n1[lane] + s.n01[lane];
            x.coop[0] += s.coop0[lane];
            x.coop[1] += s.coop1[lane];
            s.n0[lane] = s.n1[lane] = s.n01[lane] = s.coop0[lane] = s.coop1[lane] = 0;
          }
        }
        if (ended) break;
      }
    }
    for (int64_t q = q0; q < std::min(count, q0 + int64_t{groups} * kLanes); ++q) {
      const LaneTotals& x = totals[q - q0];
      // Without noise the intended moves are the joint move's.
      const int64_t coop[2] = {noisy ? x.coop[0] : x.joint[0] + x.joint[1], noisy ? x.coop[1] : x.joint[0] + x.joint[2]};
      const int64_t p = plan.pairs[q].slot;
      for (int seat = 0; seat < 2; ++seat) {
        double ret = 0.0;
        for (int j = 0; j < 4; ++j) ret += static_cast<double>(x.joint[j]) * static_cast<double>(rules.rewards[2 * j + seat]);
        r->mean_return[p * 2 + seat] = ret / static_cast<double>(o.batch);
        r->action0_rate[p * 2 + seat] = live ? static_cast<double>(coop[seat]) / static_cast<double>(live) : 0.0;
      }
    }
  }
#else
  (void)plan, (void)o, (void)g0, (void)g1, (void)r;
#endif
}

}  // namespace

bool plan_tournament_lanes(const Game& game, const std::vector<std::shared_ptr<const Policy>>& players,
                           const std::vector<std::pair<int, int>>& pairs, const RolloutOptions& options,
                           TournamentLanes* plan) {
  plan->pairs.clear();
  // Malformed groups are for the per-pair path to report.
  if (!has_avx2() || (!options.groups.empty() && static_cast<int64_t>(options.groups.size()) != options.batch))
    return false;
  int history = 0;
  const matrix::Rules* rules = scripted_matrix_rules(game, &history);
  if (!rules) return false;
  const int T = rollout_steps(game, options);
  if (!sums_exact(*rules, static_cast<double>(options.batch) * T)) return false;
  const int n = static_cast<int>(players.size());
  plan->rules = rules;
  plan->max_steps = game.info().max_steps;
  plan->steps = T;
  plan->rule.assign(static_cast<size_t>(2 * n), strategy::Rule{});
  plan->scripted.assign(static_cast<size_t>(2 * n), 0);
  for (int i = 0; i < n; ++i)
    for (int seat = 0; seat < 2; ++seat) {
      strategy::Rule& rule = plan->rule[2 * i + seat];
      plan->scripted[2 * i + seat] = players[i]->scripted_rule(game, seat, &rule) && lanes_cover(rule.kind);
    }
  for (size_t k = 0; k < pairs.size(); ++k) {
    const auto [i, j] = pairs[k];
    if (i >= 0 && i < n && j >= 0 && j < n && plan->scripted[2 * i] && plan->scripted[2 * j + 1])
      plan->pairs.push_back({static_cast<int64_t>(k), i, j});
  }
  return !plan->pairs.empty();
}

void run_tournament_lanes(const TournamentLanes& plan, const RolloutOptions& options, int threads,
                          TournamentResult* r) {
  const int64_t groups = (static_cast<int64_t>(plan.pairs.size()) + kLanes - 1) / kLanes;
  const int64_t per_group = int64_t{kLanes} * options.batch * plan.steps;
  const int64_t min_groups = std::max<int64_t>(1, kMinPairRoundsPerThread / std::max<int64_t>(1, per_group));
  parallel_for(groups, threads, min_groups,
               [&](int64_t g0, int64_t g1) { play_groups(plan, options, g0, g1, r); });
}

}  // namespace dilemma
