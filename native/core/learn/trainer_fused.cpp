// The fused training iteration for iterated 2x2 games with a tabular policy.
//
// The general path (trainer.cpp) runs a rollout into a full trajectory
// (observations included), copies each agent's slice out of it, and runs
// the model's forward pass again for the loss. Here each environment's
// episode is played in one pass with its state in registers: the tabular
// state comes straight from the joint-move history, the action from a
// sampler table prepared once per state, and the rollout writes exactly what
// the later stages read, in their layout (rewards per agent [A][B, T], the
// learner's states and actions seat-major [S][B, T]). The stages after the
// rollout are the general path's (stages::*), and the loss of each row is
// policy_loss_row computed from per-state tables (loss_cache.hpp), so both
// paths give the same numbers on the same draws (test_trainer_fused.cpp).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "../credit.hpp"
#include "../error.hpp"
#include "../parallel.hpp"
#include "../rng.hpp"
#include "../sampling.hpp"
#include "chunked.hpp"
#include "loss_cache.hpp"
#include "trainer_stages.hpp"

namespace dilemma::learn {

namespace {

// Tables are built for every state each iteration: worth it while they are
// small beside the batch, and kept small so they stay in cache.
// Environments per part of the rollout (each environment is independent, so
// any split gives the same numbers).
constexpr int64_t kEnvChunk = 256;

// The tabular state of agent from the matrix game's joint-move history, as
// the model would read the game's observation.
struct StateReader {
  const TabularLayout* layout;
  int history;
  bool direct;  // one observation slot per block: the state is the slots' mixed-radix code

  int64_t operator()(const int32_t* h, int agent) const {
    if (direct) {
      int64_t state = 0, place = 1;
      for (int k = 0; k < history; ++k, place *= matrix::kSlot) state += matrix::observation_index(h[k], agent) * place;
      return state;
    }
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
  float temperature;
  float* rewards[2];  // [A][B, T]
  uint8_t* live;      // [B, T]
  int32_t* actions;   // [S][B, T], the learner's seats
  float* states;      // [S][B, T], as floats (the tabular cache)
  int seat_of[2];     // learner seat index of each agent, -1 when not learning
  int32_t* coop;      // [B, A] rounds cooperated
};

// Plays the episodes of environments [b0, b1), each in one pass with its
// history in registers.
template <int H>
bool play(const Episodes& ep, int64_t b0, int64_t b1) {
  const int64_t T = ep.T, BT = ep.BT;
  for (int64_t b = b0; b < b1; ++b) {
    int32_t h[H];
    matrix::reset(h, H);
    matrix::DrawKey key{ep.seed, static_cast<uint32_t>(ep.groups ? ep.groups[b] : b), 0, 0};
    int64_t t = 0;
    for (; t < T; ++t) {
      const int64_t i = b * T + t;
      const rng::U32x4 u = rng::words(ep.seed, static_cast<uint32_t>(b), 0, static_cast<uint32_t>(t), rng::kSample, 0);
      int move[2];
      int64_t state[2];
      for (int a = 0; a < 2; ++a) {
        state[a] = ep.read.direct ? direct_state<H>(h, a) : ep.read(h, a);
        const SamplerRow& row = ep.sampler[a][state[a]];
        move[a] = choose_action(row.prep, row.z, row.e, 2, ep.temperature, false, rng::to_unit_float(u.v[a]), nullptr);
      }
      key.step = static_cast<uint32_t>(t);
      float r[2];
      const bool ended = matrix::step(*ep.rules, h, H, static_cast<int>(t), move[0], move[1], r, key);
      ep.live[i] = 1;
      ep.rewards[0][i] = r[0];
      ep.rewards[1][i] = r[1];
      for (int a = 0; a < 2; ++a) {
        ep.coop[b * 2 + a] += move[a] == 0;
        const int k = ep.seat_of[a];
        if (k < 0) continue;
        ep.actions[k * BT + i] = move[a];
        ep.states[k * BT + i] = static_cast<float>(state[a]);
      }
      if (ended) {
        ++t;
        break;
      }
    }
    // Padding after the episode's end: what the general path's rollout
    // writes there (no action, no reward, the all-zero observation: state 0).
    for (; t < T; ++t) {
      const int64_t i = b * T + t;
      ep.live[i] = 0;
      ep.rewards[0][i] = ep.rewards[1][i] = 0.0f;
      for (int a = 0; a < 2; ++a) {
        const int k = ep.seat_of[a];
        if (k < 0) continue;
        ep.actions[k * BT + i] = -1;
        ep.states[k * BT + i] = 0.0f;
      }
    }
  }
  return true;
}

}  // namespace

bool Trainer::fused_applies() const {
  int history = 0;
  const GameInfo& g = cfg_.game->info();
  const TabularLayout* layout = cfg_.model->tabular_layout();
  return cfg_.fused && cfg_.game->matrix_rules(&history) != nullptr && g.agents == 2 && g.actions == 2 && layout != nullptr &&
         layout->states * g.actions <= kChunkedTableEntries && cfg_.baseline == Baseline::kLeaveOneOut &&
         cfg_.loss.kl_coef == 0.0f && cfg_.game->stat_count() == 0;
}

IterationMetrics Trainer::iterate_fused(IterationMetrics m, const std::vector<int>& seats,
                                        const std::vector<float>* opponent) {
  int history = 0;
  const matrix::Rules& rules = *cfg_.game->matrix_rules(&history);
  const TabularLayout& layout = *cfg_.model->tabular_layout();
  const int64_t B = cfg_.batch, T = steps_, BT = B * T, A = 2, NA = 2;
  const int64_t S = static_cast<int64_t>(seats.size()), rows = S * BT;
  const int64_t states = layout.states;
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
  for (int64_t b = 0; b < B; ++b) groups[b] = static_cast<int32_t>(b / cfg_.group_size);
  const bool shared_streams = cfg_.group_size < B;

  // Rollout, one environment's episode at a time.
  w.rewards_by_agent.resize(A);
  for (auto& r : w.rewards_by_agent) r.resize(BT);
  w.cache.resize(rows);  // the learner's states as floats: the tabular model's cache
  w.actions.resize(rows);
  std::vector<uint8_t>& live = w.t.mask;
  live.resize(BT);
  Episodes ep;
  ep.rules = &rules;
  ep.sampler[0] = sampler[0];
  ep.sampler[1] = sampler[1];
  ep.read = StateReader{&layout, history, layout.size == matrix::kSlot && layout.blocks == history};
  ep.seed = seed;
  ep.groups = shared_streams ? groups.data() : nullptr;
  ep.T = T;
  ep.BT = BT;
  ep.temperature = temperature;
  ep.rewards[0] = w.rewards_by_agent[0].data();
  ep.rewards[1] = w.rewards_by_agent[1].data();
  ep.live = live.data();
  ep.actions = w.actions.data();
  ep.states = w.cache.data();
  ep.seat_of[0] = ep.seat_of[1] = -1;
  for (int64_t k = 0; k < S; ++k) ep.seat_of[seats[k]] = static_cast<int>(k);
  std::vector<int32_t>& coop = w.stats;  // per environment and agent: rounds cooperated
  coop.assign(static_cast<size_t>(B * A), 0);
  ep.coop = coop.data();
  parallel_for(B, threads, kEnvChunk, [&](int64_t b0, int64_t b1) {
    matrix::with_history(history, [&](auto h) { return play<decltype(h)::value>(ep, b0, b1); }, false);
  });
  float* rewards[2] = {ep.rewards[0], ep.rewards[1]};

  // Returns, baseline and credits: the general path's stages.
  w.adv.resize(A);
  w.ret.resize(A);
  for (int64_t a = 0; a < A; ++a) {
    w.adv[a].resize(BT);
    w.ret[a].resize(BT);
    stages::leave_one_out_advantages(cfg_, w.rewards_by_agent[a].data(), groups.data(), B, T, w.ret[a].data(),
                                     w.adv[a].data());
  }
  w.credits.resize(rows);
  for (int64_t k = 0; k < S; ++k) {
    stages::seat_credit(cfg_, w.adv, seats[k], B, T, w.others, w.credits.data() + k * BT);
  }
  if (cfg_.whiten_credits) credit::whiten(w.credits.data(), w.credits.data(), S * B, T, false, 1e-8, cfg_.threads);

  // Loss gradient per row from the learner's per-state tables, then the
  // tabular backward (an ordered scatter-add) and Adam.
  int64_t live_rows = 0;
  for (int64_t i = 0; i < BT; ++i) live_rows += live[i];
  live_rows *= S;
  double normalizer = 0.0;
  switch (cfg_.loss.normalize) {
    case LossNormalize::kMask: normalizer = static_cast<double>(live_rows); break;
    case LossNormalize::kRows: normalizer = static_cast<double>(rows); break;
    case LossNormalize::kConstant: normalizer = cfg_.loss.normalizer; break;
  }
  const double inv = normalizer > 0.0 ? 1.0 / normalizer : 0.0;
  const float weight = static_cast<float>(inv);
  const LossRowOptions row_options{cfg_.loss.objective, cfg_.loss.ratio_cap, cfg_.loss.clip, cfg_.loss.entropy_coef,
                                   cfg_.loss.kl_coef};
  // Per state: lp[NA], p[NA], ratio[NA] and the entropy; capped flags apart.
  constexpr int64_t kLossFloats = 3 * 2 + 1;
  std::vector<float>& loss_table = w.behavior;
  loss_table.resize(static_cast<size_t>(states * kLossFloats));
  w.capped.resize(static_cast<size_t>(states * NA));
  w.grad.resize(params_.size());
  stages::apply_schedule(cfg_, iteration_, adam_, critic_adam_);
  // Per sequence (seat, environment): the policy term, the entropy, clipped
  // rows and |credit|, added in sequence order afterwards.
  std::vector<double>& partial = w.partial;
  const int64_t sequences = S * B;
  for (int e = 0; e < cfg_.epochs; ++e) {
    for (int64_t s = 0; s < states; ++s) {
      float* q = loss_table.data() + s * kLossFloats;
      float behavior[2];
      const SamplerRow& row = sampler[0][s];
      for (int k = 0; k < 2; ++k) behavior[k] = prepared_logp(row.prep, row.z, k, temperature);
      q[6] = prepare_cached_row(params_.data() + s * NA, NA, behavior, row_options, q, q + 2, q + 4,
                                w.capped.data() + s * NA);
    }
    partial.assign(static_cast<size_t>(sequences * 4), 0.0);
    std::fill(w.grad.begin(), w.grad.end(), 0.0f);
    // The rows' loss gradients go straight into the chunks' partial tables,
    // in the chunks and order of the tabular model's backward pass over the
    // same rows (seat-major [S * B, T]), so the sum is the same.
    const float* states_of = w.cache.data();
    const int32_t* actions = w.actions.data();
    const float* credits = w.credits.data();
    const uint8_t* live_of = live.data();
    const float* table = loss_table.data();
    const uint8_t* capped = w.capped.data();
    chunked_gradient(sequences, T, states * NA, T * NA * 8, w.grad.data(), [&] {
      return [&, states_of, actions, credits, live_of, table, capped](int64_t q0, int64_t q1, float* grad_part) {
        for (int64_t q = q0; q < q1; ++q) {
          double sums[4] = {0, 0, 0, 0};
          const uint8_t* lv = live_of + (q % B) * T;
          for (int64_t t = 0; t < T; ++t) {
            if (!lv[t]) continue;
            const int64_t i = q * T + t;
            const int64_t s = static_cast<int64_t>(states_of[i]);
            const float* c = table + s * kLossFloats;
            float dz[2];
            const RowLoss r = cached_loss_row(CachedRow{c[6], c, c + 2, c + 4, capped + s * 2}, 2, actions[i],
                                              credits[i], weight, row_options, dz);
            grad_part[s * 2] += dz[0];
            grad_part[s * 2 + 1] += dz[1];
            sums[0] += r.policy;
            sums[1] += r.entropy;
            sums[2] += r.clipped ? 1 : 0;
            sums[3] += std::fabs(credits[i]);
          }
          std::copy(sums, sums + 4, partial.begin() + q * 4);
        }
      };
    });
    const double norm = adam_.step(params_.data(), w.grad.data());
    if (e == 0) {
      double total[4] = {0, 0, 0, 0};
      for (int64_t q = 0; q < sequences; ++q)
        for (int j = 0; j < 4; ++j) total[j] += partial[q * 4 + j];
      m.policy_loss = total[0] * inv;
      m.entropy = total[1] * inv;
      m.kl = 0;
      m.clipped_fraction = live_rows > 0 ? total[2] / static_cast<double>(live_rows) : 0.0;
      m.grad_norm = norm;
      m.credit_abs_mean = live_rows ? total[3] / static_cast<double>(live_rows) : 0;
    }
    // A later epoch samples nothing new: the behaviour stays the rollout's,
    // the loss tables follow the updated parameters.
  }

  // Metrics of the batch that was played.
  m.mean_return.assign(A, 0.0);
  m.action0_rate.assign(A, 0.0);
  m.game_stats.clear();
  int64_t steps_live = 0;
  for (int64_t i = 0; i < BT; ++i) {
    steps_live += live[i];
    for (int64_t a = 0; a < A; ++a) m.mean_return[a] += rewards[a][i];
  }
  for (int64_t b = 0; b < B; ++b)
    for (int64_t a = 0; a < A; ++a) m.action0_rate[a] += coop[b * A + a];
  for (int64_t a = 0; a < A; ++a) {
    m.mean_return[a] /= static_cast<double>(B);
    m.action0_rate[a] /= static_cast<double>(std::max<int64_t>(1, steps_live));
  }
  advance(m);
  return m;
}

}  // namespace dilemma::learn
