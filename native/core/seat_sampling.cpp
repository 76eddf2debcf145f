#include "seat_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "draws.hpp"
#include "error.hpp"
#include "float_math.hpp"
#include "rng.hpp"
#include "sampling.hpp"
#include "thread_scratch.hpp"

namespace dilemma {

namespace {

// The rows of a block, environment-major, so that seats whose agents share a
// group of four draw slots (both seats of a two-player game) take their draws
// from one Philox call. kActions > 0 fixes the action count and means no
// action is ever illegal, so that the sampler's loops unroll (two-action
// games without masks, the usual case); 0 takes both from the game.
//
// sample_logits's arithmetic in passes over chunks of rows: the weights'
// exponentials and the totals' logarithms run as vector loops over the whole
// chunk rather than a few calls per row; the values, hence the bits, are the
// per-row function's.
template <int kActions>
void sample_rows(const ActContext* seats, int count, int64_t b0, int64_t b1, const float* logits, int actions,
                 const float* planes, const std::string& who) {
  constexpr int64_t kChunk = 128;  // environments
  const int64_t n = b1 - b0;
  const Game& game = seats[0].envs->game();
  const bool masked = kActions == 0 && game.has_illegal_actions();
  const int A = kActions > 0 ? kActions : actions;
  const size_t rows_max = static_cast<size_t>(std::min(kChunk, n) * count);
  uint8_t* const legal_rows = thread_scratch<struct LegalRows, uint8_t>(masked ? rows_max * A : 0);
  float* const weight_rows = thread_scratch<struct WeightRows, float>(rows_max * A);
  float* const logs = thread_scratch<struct LogTotals, float>(rows_max);
  Prepared* const preps = thread_scratch<struct PreparedRows, Prepared>(rows_max);
  for (int64_t k0 = 0; k0 < n; k0 += kChunk) {
    const int64_t m = std::min(kChunk, n - k0);
    // Chunk row j = (k - k0) * count + s: environment b0 + k, seat s.
    for (int64_t k = k0; k < k0 + m; ++k) {
      const int64_t b = b0 + k;
      for (int s = 0; s < count; ++s) {
        const ActContext& c = seats[s];
        const size_t j = static_cast<size_t>((k - k0) * count + s);
        const float* z = logits + (s * n + k) * A;
        uint8_t* ok = masked ? legal_rows + j * A : nullptr;
        if (ok) game.legal_actions(c.envs->state(b), c.envs->steps_taken(b), c.agent, ok);
        const Prepared p = top_logit(z, A, c.temperature, ok);
        if (!p.finite)
          throw Error(codes::kModelOutput, who + " has a non-finite logit (environment " +
                                               std::to_string(c.first_env + b) + ", step " + std::to_string(c.step) + ")");
        if (p.best < 0 && !c.envs->done(b))
          throw Error(codes::kModelOutput, who + " has no legal action for agent " + std::to_string(c.agent) +
                                               " in environment " + std::to_string(c.first_env + b));
        preps[j] = p;
        // Illegal actions' logits may be anything (a model's -inf or NaN):
        // their weights are computed from 0 and set to 0 below.
        float* y = weight_rows + j * A;
        for (int i = 0; i < A; ++i)
          y[i] = p.best < 0 || (ok && !ok[i]) ? 0.0f : tempered(z[i], c.temperature) - p.top;
      }
    }
    const size_t rows = static_cast<size_t>(m * count);
    for (size_t i = 0; i < rows * static_cast<size_t>(A); ++i) weight_rows[i] = softmax_weight(weight_rows[i]);
    for (size_t j = 0; j < rows; ++j) {
      float* w = weight_rows + j * A;
      const uint8_t* ok = masked ? legal_rows + j * A : nullptr;
      float total = 0.0f;
      for (int i = 0; i < A; ++i) {
        if (ok && !ok[i]) w[i] = 0.0f;
        total += w[i];
      }
      preps[j].total = total;
    }
    for (size_t j = 0; j < rows; ++j) logs[j] = float_math::log_positive(preps[j].total);
    for (int64_t k = k0; k < k0 + m; ++k) {
      const int64_t b = b0 + k;
      rng::U32x4 words{{0, 0, 0, 0}};
      int group = -1;
      for (int s = 0; s < count; ++s) {
        const ActContext& c = seats[s];
        const size_t j = static_cast<size_t>((k - k0) * count + s);
        const float* z = logits + (s * n + k) * A;
        const uint8_t* ok = masked ? legal_rows + j * A : nullptr;
        const float* w = weight_rows + j * A;
        Prepared& p = preps[j];
        Sample smp{-1, 0.0f, 0.0f, true};
        if (p.best >= 0) {
          p.log_total = logs[j];
          p.entropy = prepared_entropy(p, z, A, c.temperature, ok, w);
          float u = 0.0f;
          if (planes) {
            u = planes[static_cast<size_t>(s * n + k)];
          } else if (!c.greedy) {
            if ((c.agent >> 2) != group) {
              group = c.agent >> 2;
              words = rng::words(c.seed, static_cast<uint32_t>(c.first_env + b), 0, static_cast<uint32_t>(c.step),
                                 rng::kSample, static_cast<uint32_t>(c.agent));
            }
            u = rng::to_unit_float(words.v[c.agent & 3]);
          }
          smp.action = choose_action(p, z, w, A, c.temperature, c.greedy, u, ok);
          smp.logp = prepared_logp(p, z, smp.action, c.temperature);
          smp.entropy = p.entropy;
        }
        const int64_t i = b * c.out_stride + c.agent;
        c.actions[i] = smp.action;
        c.logp[i] = smp.logp;
        c.entropy[i] = smp.entropy;
      }
    }
  }
}

// The draws and outputs of m two-action rows from their differences to the
// top logit d, weights w and log totals: sample_logits's entropy sum and
// choose_action, branch-free so that the loop vectorises.
void rows_of_two(int64_t m, const float* __restrict__ u, const float* __restrict__ d0, const float* __restrict__ d1,
                 const float* __restrict__ w0, const float* __restrict__ w1, const float* __restrict__ log_total,
                 int32_t* __restrict__ act, float* __restrict__ logp, float* __restrict__ entropy) {
  using float_math::pick;
  for (int64_t k = 0; k < m; ++k) {
    const float t = w0[k] + w1[k];
    float h = log_total[k];
    h -= pick((d0[k] != 0.0f) & (w0[k] > 0.0f), w0[k] / t * d0[k], 0.0f);
    h -= pick((d1[k] != 0.0f) & (w1[k] > 0.0f), w1[k] / t * d1[k], 0.0f);
    // choose_action: the first action whose running weight passes u * total.
    const bool first = u[k] * t < w0[k];
    act[k] = static_cast<int32_t>(!first);
    logp[k] = pick(first, d0[k], d1[k]) - log_total[k];
    entropy[k] = h;
  }
}

// Two legal actions and a uniform draw per row (planes, seat-major like the
// logits): sample_logits's arithmetic for n = 2, op for op, in branch-free
// passes over chunks of environments that vectorise, on scratch that stays
// in cache. Returns false when a chunk has a row that needs sample_logits's
// other branches (a non-finite logit or tempered logit); the caller then runs
// the per-row path, which rewrites the rows of earlier chunks with the same
// values and reports that row.
bool sample_two_block(const ActContext* seats, int count, int64_t b0, int64_t b1, const float* logits,
                      const float* planes) {
  using float_math::pick;
  constexpr int64_t kChunk = 256;
  const int64_t n = b1 - b0;
  float* const scratch = thread_scratch<struct TwoBlock, float>(static_cast<size_t>(kChunk * count * 7));
  int32_t* const act = thread_scratch<struct TwoBlockActions, int32_t>(static_cast<size_t>(kChunk * count));
  for (int64_t k0 = 0; k0 < n; k0 += kChunk) {
    const int64_t m = std::min(kChunk, n - k0), rows = m * count;
    // Chunk row j = s * m + k is the block's row s * n + k0 + k.
    float* d0 = scratch;  // tempered logit - top, per action
    float* d1 = d0 + rows;
    float* w0 = d1 + rows;  // e^d, exactly 1 at the top
    float* w1 = w0 + rows;
    float* log_total = w1 + rows;
    float* logp = log_total + rows;
    float* entropy = logp + rows;
    int bad = 0;
    for (int s = 0; s < count; ++s) {
      const float temperature = seats[s].temperature;
      const float* z = logits + 2 * (s * n + k0);
      float* e0 = d0 + s * m;
      float* e1 = d1 + s * m;
      for (int64_t k = 0; k < m; ++k) {
        const float y0 = tempered(z[2 * k], temperature), y1 = tempered(z[2 * k + 1], temperature);
        bad |= static_cast<int>(!(fabsf(y0) < INFINITY)) | static_cast<int>(!(fabsf(y1) < INFINITY));
        const float top = pick(y1 > y0, y1, y0);
        e0[k] = y0 - top;
        e1[k] = y1 - top;
      }
    }
    if (bad) return false;
    for (int64_t j = 0; j < rows; ++j) {
      w0[j] = softmax_weight(d0[j]);
      w1[j] = softmax_weight(d1[j]);
      log_total[j] = float_math::log_positive(w0[j] + w1[j]);
    }
    for (int s = 0; s < count; ++s) {
      const int64_t j0 = s * m;
      rows_of_two(m, planes + s * n + k0, d0 + j0, d1 + j0, w0 + j0, w1 + j0, log_total + j0, act + j0, logp + j0,
                  entropy + j0);
    }
    for (int s = 0; s < count; ++s) {
      const ActContext& c = seats[s];
      for (int64_t k = 0; k < m; ++k) {
        const int64_t j = s * m + k, i = (b0 + k0 + k) * c.out_stride + c.agent;
        c.actions[i] = act[j];
        c.logp[i] = logp[j];
        c.entropy[i] = entropy[j];
      }
    }
  }
  return true;
}

}  // namespace

void sample_seats(const ActContext* seats, int count, int64_t b0, int64_t b1, const float* logits, int actions,
                  const std::string& who) {
  const int64_t n = b1 - b0;
  // When the seats are consecutive agents of one group of four drawing from
  // the same stream (both seats of a two-player game), the draws of the whole
  // block come from rng::uniform_planes: the same bits as one Philox call per
  // environment, in vector registers, and off the per-row path.
  bool planed = count <= 4 && n > 0 && seats[0].first_env + b1 <= (int64_t{1} << 32);
  for (int s = 0; planed && s < count; ++s) {
    const ActContext& c = seats[s];
    planed = !c.greedy && c.agent == seats[0].agent + s && (c.agent >> 2) == (seats[0].agent >> 2) &&
             c.seed == seats[0].seed && c.step == seats[0].step && c.first_env == seats[0].first_env;
  }
  float* u = nullptr;
  if (planed) {
    u = thread_scratch<struct SeatDraws, float>(static_cast<size_t>(n * count));
    const ActContext& c = seats[0];
    rng::uniform_planes(c.seed, static_cast<uint32_t>(c.first_env + b0), n, 0, static_cast<uint32_t>(c.step),
                        rng::kSample, static_cast<uint32_t>(c.agent), count, u);
  }
  const bool two = actions == 2 && !seats[0].envs->game().has_illegal_actions();
  if (two && planed && sample_two_block(seats, count, b0, b1, logits, u)) return;
  if (two)
    sample_rows<2>(seats, count, b0, b1, logits, actions, u, who);
  else
    sample_rows<0>(seats, count, b0, b1, logits, actions, u, who);
}

}  // namespace dilemma
