// The fused training iteration for iterated 2x2 games with a tabular policy.
//
// The general path (trainer.cpp) runs a rollout into a full trajectory
// (observations included), copies each agent's slice out of it, runs the
// model forward again, writes a gradient row per agent-step and scatters the
// rows into the table. Here:
//   1. the rollout steps a chunk of environments together (their histories
//      in a small array, the sampling draws of a step computed for the whole
//      chunk in one vectorised loop), reads the tabular state straight from
//      the joint-move history and samples from a table prepared once per
//      state; it writes only rewards (turned into returns in place) and one
//      (state, action) code per learner row;
//   2. leave-one-out group sums, column by column (credit::leave_one_out's
//      order, so the advantages are the general path's bits);
//   3. per environment: advantages, the credit of each learner seat (the
//      general path's row functions) and, per (state, action), the sums of
//      the credits, split by sign, from which the loss gradient of a tabular
//      softmax policy follows in closed form: every row of one state shares
//      its logits, so sum_rows dL/dz is a function of those sums.
// The numbers are the general path's up to float rounding of the gradient
// sum (tested); every sum runs in a fixed order over fixed chunks, so the
// result is the same for any thread count.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "../credit.hpp"
#include "../credit_math.hpp"
#include "../draws.hpp"
#include "../error.hpp"
#include "../parallel.hpp"
#include "loss_cache.hpp"
#include "trainer_fused_lanes.hpp"
#include "trainer_stages.hpp"
#include "../thread_scratch.hpp"

namespace dilemma::learn {

namespace {

// Environments per part of the rollout and of the credit pass. Fixed (not a
// function of the thread count), so that per-part sums add up the same way.
constexpr int64_t kEnvChunk = 256;
// Chunks a thread takes at least: waking a worker costs about as much as a
// few chunks of work.
constexpr int64_t kChunksPerThread = 4;
// Per (state, action): credit sums of positive and negative credits (double)
// and the counts of positive, negative and zero credits.
constexpr int kSumFields = 5;

// The tabular state of agent from the matrix game's joint-move history, as
// the model reads the game's observation. When each observation slot is one
// tabular block (`direct`), the state is the slots' mixed-radix code and
// direct_state reads it without building the observation.
struct StateReader {
  const TabularLayout* layout;
  int history;
  bool direct;

  int64_t observed(const int32_t* h, int agent) const {
    float obs[matrix::kSlot * matrix::kMaxHistory];
    matrix::observe(h, history, agent, obs);
    return tabular_state(obs, *layout);
  }
};

template <int H>
int64_t direct_state(const int32_t* h, int agent) {
  int64_t state = 0, place = 1;
  for (int k = 0; k < H; ++k, place *= matrix::kSlot) state += matrix::observation_index(h[k], agent) * place;
  return state;
}

// What the rollout reads and writes, as raw pointers: the loop stores
// through several of them per step, and vectors' data pointers would be
// reloaded after every byte store.
struct Episodes {
  const matrix::Rules* rules;
  const SamplerRow* sampler[2];
  StateReader read;
  uint64_t seed;
  const int32_t* groups;  // environment streams; null: stream = environment
  int64_t T, BT;
  float temperature, gamma;
  float* returns[2];  // [A][B, T]: rewards, turned into returns-to-go
  float* rewards[2];  // [A][B, T]: a copy of the rewards (AaPast::kRewards), or null
  uint8_t* live;      // [B, T]
  int32_t* codes;     // [S][B, T]: state * 2 + action of the learner's seats, -1 for padding
  int seat_of[2];     // learner seat index of each agent, -1 when not learning
  int32_t* coop;      // [B, A] rounds cooperated
  double* reward_sum; // [B, A] episode returns
};

// Plays environments [b0, b1) together, step by step.
template <int H>
bool play(const Episodes& ep, int64_t b0, int64_t b1) {
  const int64_t n = b1 - b0, T = ep.T, BT = ep.BT;
  int32_t* const hist = thread_scratch<struct PlayHistory, int32_t>(static_cast<size_t>(n * H));
  uint8_t* const alive = thread_scratch<struct PlayAlive, uint8_t>(static_cast<size_t>(n));
  float* const u = thread_scratch<struct PlayDraws, float>(static_cast<size_t>(2 * n));
  std::fill_n(alive, n, uint8_t{1});
  for (int64_t j = 0; j < n; ++j) matrix::reset(hist + j * H, H);
  for (int64_t t = 0; t < T; ++t) {
    rng::uniform_planes(ep.seed, static_cast<uint32_t>(b0), n, 0, static_cast<uint32_t>(t), rng::kSample, 0, 2, u);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t b = b0 + j, i = b * T + t;
      if (!alive[j]) {
        ep.live[i] = 0;
        ep.returns[0][i] = ep.returns[1][i] = 0.0f;
        for (int a = 0; a < 2; ++a)
          if (ep.seat_of[a] >= 0) ep.codes[ep.seat_of[a] * BT + i] = -1;
        continue;
      }
      int32_t* h = hist + j * H;
      int move[2];
      int64_t state[2];
      for (int a = 0; a < 2; ++a) {
        state[a] = ep.read.direct ? direct_state<H>(h, a) : ep.read.observed(h, a);
        // choose_action over two legal actions: action 0 when u * total
        // falls below the first weight (the same float comparison).
        const SamplerRow& row = ep.sampler[a][state[a]];
        move[a] = u[a * n + j] * row.prep.total < row.e[0] ? 0 : 1;
      }
      const matrix::DrawKey key{ep.seed, static_cast<uint32_t>(ep.groups ? ep.groups[b] : b), 0,
                                static_cast<uint32_t>(t)};
      float r[2];
      alive[j] = !matrix::step(*ep.rules, h, H, static_cast<int>(t), move[0], move[1], r, key);
      ep.live[i] = 1;
      ep.returns[0][i] = r[0];
      ep.returns[1][i] = r[1];
      for (int a = 0; a < 2; ++a) {
        ep.coop[b * 2 + a] += move[a] == 0;
        if (ep.seat_of[a] >= 0) ep.codes[ep.seat_of[a] * BT + i] = static_cast<int32_t>(state[a] * 2 + move[a]);
      }
    }
  }
  for (int64_t b = b0; b < b1; ++b)
    for (int a = 0; a < 2; ++a) {
      float* r = ep.returns[a] + b * T;
      double total = 0.0;
      for (int64_t t = 0; t < T; ++t) total += r[t];
      if (ep.rewards[a]) std::copy(r, r + T, ep.rewards[a] + b * T);
      ep.reward_sum[b * 2 + a] = total;
      credit::discounted_returns_row(r, r, T, ep.gamma);
    }
  return true;
}

// Adds one learner row's credit to its (state, action) sums. Branch-free:
// the sign of a credit is a coin flip for the branch predictor.
inline void accumulate(double* sums, int32_t code, float c) {
  double* q = sums + static_cast<int64_t>(code) * kSumFields;
  // GCC keeps float comparisons as branches under its default
  // -ftrapping-math; the sign and magnitude bits give the same answer for a
  // finite credit without one.
  uint32_t bits;
  std::memcpy(&bits, &c, sizeof bits);
  const int nonzero = (bits & 0x7FFFFFFFu) != 0, negative = static_cast<int>(bits >> 31);
  const double d = c, pos = nonzero & (1 - negative), neg = nonzero & negative;
  q[0] += d * pos;
  q[1] += d * neg;
  q[2] += pos;
  q[3] += neg;
  q[4] += 1 - nonzero;
}

}  // namespace

bool Trainer::fused_applies() const {
  int history = 0;
  const GameInfo& g = cfg_.game->info();
  const TabularLayout* layout = cfg_.model->tabular_layout();
  return cfg_.fused && cfg_.game->matrix_rules(&history) != nullptr && g.agents == 2 && g.actions == 2 &&
         layout != nullptr && layout->states * g.actions <= kChunkedTableEntries &&
         cfg_.baseline == Baseline::kLeaveOneOut && cfg_.loss.kl_coef == 0.0f && cfg_.game->stat_count() == 0;
}

IterationMetrics Trainer::iterate_fused(IterationMetrics m, const std::vector<int>& seats,
                                        const std::vector<float>* opponent) {
  int history = 0;
  const matrix::Rules& rules = *cfg_.game->matrix_rules(&history);
  const TabularLayout& layout = *cfg_.model->tabular_layout();
  const int64_t B = cfg_.batch, T = steps_, BT = B * T, A = 2, NA = 2;
  const int64_t S = static_cast<int64_t>(seats.size()), rows = S * BT;
  const int64_t states = layout.states, codes = states * NA;
  const int threads = cfg_.threads > 0 ? cfg_.threads : default_threads();
  const float temperature = cfg_.temperature;
  const uint64_t seed = iteration_seed(0);
  Workspace& w = *ws_;

  // Sampler tables of both seats' policies (the learner's, or a snapshot's
  // for the other seat).
  w.sampler.resize(static_cast<size_t>(2 * states));
  SamplerRow* sampler[2] = {w.sampler.data(), w.sampler.data() + states};
  const float* seat_params[2] = {params_.data(), opponent ? opponent->data() : params_.data()};
  for (int a = 0; a < (opponent ? 2 : 1); ++a)
    for (int64_t s = 0; s < states; ++s) {
      SamplerRow& row = sampler[a][s];
      std::copy(seat_params[a] + s * NA, seat_params[a] + (s + 1) * NA, row.z);
      row.prep = prepare_logits(row.z, 2, temperature, nullptr, row.e);
      if (!row.prep.finite)
        throw Error(codes::kModelOutput, std::string("policy '") + (a ? "snapshot" : "learner") +
                                             "' has a non-finite logit (state " + std::to_string(s) + ")");
    }
  if (!opponent) sampler[1] = sampler[0];

  // Groups: the environment streams (common random numbers) and the baseline.
  std::vector<int32_t>& groups = w.groups;
  groups.resize(B);
  for (int64_t b = 0, g = 0, in_group = 0; b < B; ++b) {
    groups[b] = static_cast<int32_t>(g);
    if (++in_group == cfg_.group_size) in_group = 0, ++g;
  }
  const int64_t group_count = (B + cfg_.group_size - 1) / cfg_.group_size;

  // The lane path (trainer_fused_lanes.hpp) covers memory-1 read directly;
  // its arrays are step-major.
  const bool direct = layout.size == matrix::kSlot && layout.blocks == history;
  const int64_t Bp = fused_lanes::padded(B);
  const bool reward_past =
      cfg_.algorithm == Algorithm::kAdvantageAlignment && cfg_.aa_past == TrainerConfig::AaPast::kRewards;
  const bool lanes = fused_lanes::available() && history == 1 && direct && states == fused_lanes::kStates &&
                     !cfg_.whiten_credits && !reward_past &&
                     static_cast<double>(Bp) * static_cast<double>(T) < 2e9;
  const int64_t cells = lanes ? Bp * T : BT;

  // 1. Rollout.
  w.rewards_by_agent.resize(A);
  for (auto& r : w.rewards_by_agent) r.resize(cells);
  w.actions.resize(S * cells);  // the learner's (state, action) codes
  // Which steps an episode lived; the lane path counts them per episode
  // (w.lived) and leaves this unwritten.
  std::vector<uint8_t>& live = w.t.mask;
  live.resize(BT);
  std::vector<int32_t>& coop = w.stats;
  coop.assign(static_cast<size_t>(B * A), 0);
  std::vector<double>& reward_sum = w.partial;
  reward_sum.assign(static_cast<size_t>(B * A), 0.0);
  Episodes ep;
  ep.rules = &rules;
  ep.sampler[0] = sampler[0];
  ep.sampler[1] = sampler[1];
  ep.read = StateReader{&layout, history, direct};
  ep.seed = seed;
  ep.groups = cfg_.group_size < B ? groups.data() : nullptr;
  ep.T = T;
  ep.BT = BT;
  ep.temperature = temperature;
  ep.gamma = cfg_.gamma;
  w.past.resize(reward_past ? A : 0);
  for (auto& r : w.past) r.resize(BT);
  for (int a = 0; a < 2; ++a) {
    ep.returns[a] = w.rewards_by_agent[a].data();
    ep.rewards[a] = reward_past ? w.past[a].data() : nullptr;
  }
  ep.live = live.data();
  ep.codes = w.actions.data();
  ep.seat_of[0] = ep.seat_of[1] = -1;
  for (int64_t k = 0; k < S; ++k) ep.seat_of[seats[k]] = static_cast<int>(k);
  ep.coop = coop.data();
  ep.reward_sum = reward_sum.data();
  const int64_t env_chunks = (B + kEnvChunk - 1) / kEnvChunk;
  // Steps every episode lives on the lane path (a game of no rounds still
  // plays one).
  const int64_t L = std::min<int64_t>(T, std::max<int32_t>(1, rules.rounds));
  fused_lanes::Rollout lr;
  if (lanes) {
    fused_lanes::count_iteration();
    for (int a = 0; a < 2; ++a)
      for (int s = 0; s < 8; ++s) {
        lr.total[a][s] = s < states ? sampler[a][s].prep.total : 1.0f;
        lr.e0[a][s] = s < states ? sampler[a][s].e[0] : 0.0f;
      }
    std::copy(rules.rewards, rules.rewards + 8, lr.rewards);
    lr.seed = seed;
    lr.B = B;
    lr.Bp = Bp;
    lr.T = T;
    lr.L = L;
    lr.gamma = cfg_.gamma;
    for (int a = 0; a < 2; ++a) {
      lr.returns[a] = ep.returns[a];
      lr.seat_of[a] = ep.seat_of[a];
    }
    lr.codes = ep.codes;
    lr.coop = ep.coop;
    lr.reward_sum = ep.reward_sum;
    lr.noisy = rules.noise > 0;
    lr.noise_below = fused_lanes::float_threshold(rules.noise);
    lr.random_end = rules.continuation < 1.0;
    lr.continue_below = fused_lanes::float_threshold(rules.continuation);
    w.lived.resize(B);
    lr.steps_lived = w.lived.data();
    lr.groups = ep.groups;
  }
  parallel_for(env_chunks, threads, kChunksPerThread, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b0 = c * kEnvChunk, b1 = std::min(B, (c + 1) * kEnvChunk);
      if (lanes) {
        fused_lanes::play(lr, b0, b1);
        continue;
      }
      matrix::with_history(history, [&](auto h) { return play<decltype(h)::value>(ep, b0, b1); }, false);
    }
  });

  // 2. Group sums of the returns, each column summed over environments in
  // order (credit::leave_one_out's arithmetic).
  // With AaPast::kRewards, the rewards' group sums follow the returns' (A more blocks).
  const int64_t summed = reward_past ? 2 * A : A;
  std::vector<double> group_sums(static_cast<size_t>(summed * group_count * T), 0.0);
  // The returns are [b][t] on the scalar path and [t][Bp] on the lane path.
  const int64_t env_stride = lanes ? 1 : T, step_stride = lanes ? Bp : 1;
  parallel_for(T, threads, std::max<int64_t>(1, 16384 / B), [&](int64_t t0, int64_t t1) {
    for (int64_t a = 0; a < summed; ++a) {
      const float* g = a < A ? w.rewards_by_agent[a].data() : w.past[a - A].data();
      double* sums = group_sums.data() + a * group_count * T;
      if (lanes) {
        fused_lanes::group_sums(g, B, Bp, T, cfg_.group_size, t0, t1, sums);
        continue;
      }
      for (int64_t b = 0; b < B; ++b) {
        double* s = sums + static_cast<int64_t>(groups[b]) * T;
        for (int64_t t = t0; t < t1; ++t) s[t] += g[b * env_stride + t * step_stride];
      }
    }
  });

  // 3. Advantages, credits and their sums per (state, action), per chunk.
  const bool whiten = cfg_.whiten_credits;
  if (whiten) w.credits.resize(rows);
  std::vector<double> sums(static_cast<size_t>(env_chunks * codes * kSumFields), 0.0);
  std::vector<double> abs_sums(static_cast<size_t>(env_chunks), 0.0);
  auto credits_of = [&](int64_t b, float* adv, float* c, auto&& use) {
    const int64_t g = groups[b];
    const int64_t size = std::min<int64_t>(cfg_.group_size, B - g * cfg_.group_size);
    for (int64_t a = 0; a < A; ++a) {
      const float* ret = w.rewards_by_agent[a].data() + b * T;
      const double* s = group_sums.data() + (a * group_count + g) * T;
      for (int64_t t = 0; t < T; ++t) adv[a * T + t] = credit::leave_one_out_element(ret[t], s[t], size);
      if (!reward_past) continue;
      const float* r = w.past[a].data() + b * T;
      const double* rs = group_sums.data() + ((A + a) * group_count + g) * T;
      for (int64_t t = 0; t < T; ++t) adv[(A + a) * T + t] = credit::leave_one_out_element(r[t], rs[t], size);
    }
    for (int64_t k = 0; k < S; ++k) {
      const int64_t a = seats[k];
      // Two agents: the other's advantages are the "others" sum itself.
      const float *own = adv + a * T, *others = adv + (1 - a) * T;
      switch (cfg_.algorithm) {
        case Algorithm::kNaive: std::copy(own, own + T, c); break;
        case Algorithm::kSumOfRewards: credit::sum_row(own, others, c, T); break;
        case Algorithm::kAdvantageAlignment:
          credit::advantage_alignment_past_row(own, reward_past ? adv + (A + a) * T : own, others, c, T, cfg_.beta,
                                               cfg_.gamma, cfg_.include_current, cfg_.aa_form);
          break;
      }
      use(k, c);
    }
  };
  // One learner row (seat k, environment b): its live steps' credits into the sums.
  auto add_row = [&](double* part, double* abs_part, int64_t k, int64_t b, const float* credit) {
    const int32_t* code = w.actions.data() + k * BT + b * T;
    const uint8_t* lv = live.data() + b * T;
    for (int64_t t = 0; t < T; ++t)
      if (lv[t]) {
        accumulate(part, code[t], credit[t]);
        *abs_part += std::fabs(credit[t]);
      }
  };
  fused_lanes::Credits lc;
  if (lanes) {
    for (int a = 0; a < 2; ++a) lc.returns[a] = w.rewards_by_agent[a].data();
    lc.codes = w.actions.data();
    lc.groups = groups.data();
    lc.group_sums = group_sums.data();
    lc.group_count = group_count;
    lc.group_size = cfg_.group_size;
    lc.B = B;
    lc.Bp = Bp;
    lc.T = T;
    lc.L = L;
    lc.S = static_cast<int>(S);
    for (int64_t k = 0; k < S; ++k) lc.seats[k] = seats[k];
    lc.algorithm = cfg_.algorithm;
    lc.beta = cfg_.beta;
    lc.gamma = cfg_.gamma;
    lc.include_current = cfg_.include_current;
    lc.form = cfg_.aa_form;
    lc.random_end = lr.random_end;
  }
  parallel_for(env_chunks, threads, kChunksPerThread, [&](int64_t c0, int64_t c1) {
    if (lanes) {
      for (int64_t chunk = c0; chunk < c1; ++chunk) {
        double abs_part = 0.0;
        fused_lanes::credit_chunk(lc, chunk * kEnvChunk, std::min(B, (chunk + 1) * kEnvChunk),
                                  sums.data() + chunk * codes * kSumFields, &abs_part);
        abs_sums[chunk] = abs_part;
      }
      return;
    }
    // [A][T] advantages, [A][T] reward advantages (AaPast::kRewards), [T] credits.
    float* const adv = thread_scratch<struct CreditRows, float>(static_cast<size_t>(5 * T));
    float* const c = adv + 4 * T;
    // The chunk's partial sums (fused_lanes::kLaneSums), as the lane path takes them.
    constexpr int kLanes = fused_lanes::kLaneSums;
    const int64_t width = codes * kSumFields;
    double* const lane_sums = thread_scratch<struct LaneSums, double>(static_cast<size_t>(kLanes * width));
    for (int64_t chunk = c0; chunk < c1; ++chunk) {
      double* part = sums.data() + chunk * width;
      std::fill_n(lane_sums, kLanes * width, 0.0);
      double lane_abs[kLanes] = {};
      const int64_t start = chunk * kEnvChunk;
      for (int64_t b = start, end = std::min(B, (chunk + 1) * kEnvChunk); b < end; ++b) {
        const int64_t j = (b - start) % kLanes;
        credits_of(b, adv, c, [&](int64_t k, const float* credit) {
          if (whiten) {
            std::copy(credit, credit + T, w.credits.data() + k * BT + b * T);
            return;
          }
          add_row(lane_sums + j * width, &lane_abs[j], k, b, credit);
        });
      }
      double abs_part = 0.0;
      for (int j = 0; j < kLanes; ++j) {
        for (int64_t i = 0; i < width; ++i) part[i] += lane_sums[j * width + i];
        abs_part += lane_abs[j];
      }
      abs_sums[chunk] = abs_part;
    }
  });
  if (whiten) {
    credit::whiten(w.credits.data(), w.credits.data(), S * B, T, false, 1e-8, cfg_.threads);
    parallel_for(env_chunks, threads, kChunksPerThread, [&](int64_t c0, int64_t c1) {
      for (int64_t chunk = c0; chunk < c1; ++chunk) {
        double* part = sums.data() + chunk * codes * kSumFields;
        double abs_part = 0.0;
        for (int64_t k = 0; k < S; ++k)
          for (int64_t b = chunk * kEnvChunk, end = std::min(B, (chunk + 1) * kEnvChunk); b < end; ++b)
            add_row(part, &abs_part, k, b, w.credits.data() + k * BT + b * T);
        abs_sums[chunk] = abs_part;
      }
    });
  }
  // Chunk sums in chunk order.
  std::vector<double> total(static_cast<size_t>(codes * kSumFields), 0.0);
  for (int64_t chunk = 0; chunk < env_chunks; ++chunk) {
    const double* part = sums.data() + chunk * codes * kSumFields;
    for (int64_t i = 0; i < codes * kSumFields; ++i) total[i] += part[i];
  }
  double abs_credit = 0.0;
  for (double v : abs_sums) abs_credit += v;

  // 4. The loss gradient from the sums, then Adam (several epochs reuse the
  // same sums: the behaviour stays the rollout's, the tables follow the
  // updated parameters).
  int64_t live_steps = 0;
  if (lanes)
    for (int64_t b = 0; b < B; ++b) live_steps += w.lived[b];
  else
    for (int64_t i = 0; i < BT; ++i) live_steps += live[i];
  const int64_t live_rows = live_steps * S;
  double normalizer = 0.0;
  switch (cfg_.loss.normalize) {
    case LossNormalize::kMask: normalizer = static_cast<double>(live_rows); break;
    case LossNormalize::kRows: normalizer = static_cast<double>(rows); break;
    case LossNormalize::kConstant: normalizer = cfg_.loss.normalizer; break;
  }
  const double inv = normalizer > 0.0 ? 1.0 / normalizer : 0.0;
  const double weight = static_cast<float>(inv);
  const LossRowOptions row_options{cfg_.loss.objective, cfg_.loss.ratio_cap, cfg_.loss.clip, cfg_.loss.entropy_coef,
                                   cfg_.loss.kl_coef};
  const bool ppo = cfg_.loss.objective == LossObjective::kPpo;
  const double lo = 1.0 - cfg_.loss.clip, hi = 1.0 + cfg_.loss.clip;
  w.grad.resize(params_.size());
  stages::apply_schedule(cfg_, iteration_, adam_, critic_adam_);
  for (int e = 0; e < cfg_.epochs; ++e) {
    double policy = 0.0, entropy = 0.0, clipped = 0.0;
    for (int64_t s = 0; s < states; ++s) {
      float lp[2], p[2], ratio[2], behavior[2];
      uint8_t capped[2];
      const SamplerRow& row = sampler[0][s];
      for (int k = 0; k < 2; ++k) behavior[k] = prepared_logp(row.prep, row.z, k, temperature);
      const float h = prepare_cached_row(params_.data() + s * NA, NA, behavior, row_options, lp, p, ratio, capped);
      double dlogp[2], count = 0.0;
      for (int a = 0; a < 2; ++a) {
        const double* q = total.data() + (s * NA + a) * kSumFields;
        const double n = q[2] + q[3] + q[4];
        count += n;
        entropy += n * h;
        const double r = ratio[a];
        if (!ppo) {
          dlogp[a] = -r * (q[0] + q[1]);
          policy += -r * lp[a] * (q[0] + q[1]);
          clipped += capped[a] ? n : 0.0;
          continue;
        }
        // PPO: a row is clipped when the bounded ratio gives the smaller
        // product: positive credits above 1 + eps, negative ones below 1 - eps.
        const double rc = std::clamp(r, lo, hi);
        const bool clip_pos = r > hi, clip_neg = r < lo;
        dlogp[a] = -r * ((clip_pos ? 0.0 : q[0]) + (clip_neg ? 0.0 : q[1]));
        policy += -(clip_pos ? rc : r) * q[0] - (clip_neg ? rc : r) * q[1];
        clipped += (clip_pos ? q[2] : 0.0) + (clip_neg ? q[3] : 0.0);
      }
      for (int k = 0; k < 2; ++k) {
        double g = 0.0;
        for (int a = 0; a < 2; ++a) g += weight * dlogp[a] * ((k == a ? 1.0 : 0.0) - p[k]);
        if (p[k] > 0.0f) g += weight * cfg_.loss.entropy_coef * count * p[k] * (lp[k] + h);
        w.grad[s * NA + k] = static_cast<float>(g);
      }
    }
    const double norm = adam_.step(params_.data(), w.grad.data());
    if (e == 0) {
      m.policy_loss = policy * inv;
      m.entropy = entropy * inv;
      m.kl = 0;
      m.clipped_fraction = live_rows > 0 ? clipped / static_cast<double>(live_rows) : 0.0;
      m.grad_norm = norm;
      m.credit_abs_mean = live_rows ? abs_credit / static_cast<double>(live_rows) : 0.0;
    }
  }

  // Metrics of the batch that was played.
  // Sums in scalar locals: through the metrics' vectors (or a local array)
  // each addition would wait on the store of the one before.
  double return0 = 0.0, return1 = 0.0;
  int64_t coop0 = 0, coop1 = 0;
  for (int64_t b = 0; b < B; ++b) {
    return0 += reward_sum[b * A];
    return1 += reward_sum[b * A + 1];
    coop0 += coop[b * A];
    coop1 += coop[b * A + 1];
  }
  const double steps_lived = static_cast<double>(std::max<int64_t>(1, live_steps));
  m.mean_return = {return0 / static_cast<double>(B), return1 / static_cast<double>(B)};
  m.action0_rate = {static_cast<double>(coop0) / steps_lived, static_cast<double>(coop1) / steps_lived};
  m.game_stats.clear();
  advance(m);
  return m;
}

}  // namespace dilemma::learn
