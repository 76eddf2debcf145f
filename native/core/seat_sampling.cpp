#include "seat_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "draws.hpp"
#include "error.hpp"
#include "rng.hpp"
#include "sampling.hpp"

namespace dilemma {

namespace {

// The rows of a block, environment-major, so that seats whose agents share a
// group of four draw slots (both seats of a two-player game) take their draws
// from one Philox call. kActions > 0 fixes the action count and means no
// action is ever illegal, so that the sampler's loops unroll (two-action
// games without masks, the usual case); 0 takes both from the game.
template <int kActions>
void sample_rows(const ActContext* seats, int count, int64_t b0, int64_t b1, const float* logits, int actions,
                 const float* planes, const std::string& who) {
  const int64_t n = b1 - b0;
  const Game& game = seats[0].envs->game();
  const bool masked = kActions == 0 && game.has_illegal_actions();
  const int A = kActions > 0 ? kActions : actions;
  thread_local std::vector<uint8_t> legal;
  legal.resize(masked ? static_cast<size_t>(A) : 0);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t b = b0 + k;
    rng::U32x4 words{{0, 0, 0, 0}};
    int group = -1;
    for (int s = 0; s < count; ++s) {
      const ActContext& c = seats[s];
      if (masked) game.legal_actions(c.envs->state(b), c.envs->steps_taken(b), c.agent, legal.data());
      float u = 0.0f;
      if (planes) {
        u = planes[static_cast<size_t>(s * n + k)];
      } else if (!c.greedy) {
        if ((c.agent >> 2) != group) {
          group = c.agent >> 2;
          words = rng::words(c.seed, static_cast<uint32_t>(c.first_env + b), 0, static_cast<uint32_t>(c.step), rng::kSample,
                             static_cast<uint32_t>(c.agent));
        }
        u = rng::to_unit_float(words.v[c.agent & 3]);
      }
      const Sample smp = sample_logits(logits + (s * n + k) * A, A, c.temperature, c.greedy, u,
                                       masked ? legal.data() : nullptr);
      if (!smp.finite)
        throw Error(codes::kModelOutput, who + " has a non-finite logit (environment " + std::to_string(c.first_env + b) +
                                             ", step " + std::to_string(c.step) + ")");
      if (smp.action < 0 && !c.envs->done(b))
        throw Error(codes::kModelOutput, who + " has no legal action for agent " + std::to_string(c.agent) +
                                             " in environment " + std::to_string(c.first_env + b));
      const int64_t i = b * c.out_stride + c.agent;
      c.actions[i] = smp.action;
      c.logp[i] = smp.logp;
      c.entropy[i] = smp.entropy;
    }
  }
}

// Two legal actions and a uniform draw per row (planes, seat-major like the
// logits): sample_logits's arithmetic for n = 2, op for op, run in passes
// over chunks of environments so that the exponentials and logarithms run
// back to back rather than one row at a time between the rest, on scratch
// that stays in cache. Returns false when a row needs sample_logits's other
// branches (a non-finite logit or tempered logit, or no best action); the
// caller then runs the per-row path, which rewrites the rows of earlier
// chunks with the same values and reports that row.
bool sample_two_block(const ActContext* seats, int count, int64_t b0, int64_t b1, const float* logits,
                      const float* planes) {
  constexpr int64_t kChunk = 256;
  const int64_t n = b1 - b0;
  thread_local std::vector<float> scratch;
  scratch.resize(static_cast<size_t>(kChunk * count * 6));
  for (int64_t k0 = 0; k0 < n; k0 += kChunk) {
    const int64_t m = std::min(kChunk, n - k0), rows = m * count;
    float* d = scratch.data();     // [rows, 2]: tempered logit - top
    float* w = d + 2 * rows;       // [rows, 2]: exp(d), 1 at the top
    float* total = w + 2 * rows;   // [rows]
    float* log_total = total + rows;
    // Chunk row j = s * m + k is the block's row s * n + k0 + k.
    for (int s = 0; s < count; ++s) {
      const float temperature = seats[s].temperature;
      for (int64_t k = 0; k < m; ++k) {
        const int64_t j = s * m + k, r = s * n + k0 + k;
        const float z0 = logits[2 * r], z1 = logits[2 * r + 1];
        if (!(z0 > -INFINITY && z0 < INFINITY) || !(z1 > -INFINITY && z1 < INFINITY)) return false;
        const float y0 = tempered(z0, temperature), y1 = tempered(z1, temperature);
        float top = -INFINITY;
        bool any = false;
        if (y0 > top) top = y0, any = true;
        if (y1 > top) top = y1, any = true;
        if (!any) return false;
        d[2 * j] = y0 - top;
        d[2 * j + 1] = y1 - top;
      }
    }
    for (int64_t i = 0; i < 2 * rows; ++i) w[i] = d[i] == 0.0f ? 1.0f : expf(d[i]);
    for (int64_t j = 0; j < rows; ++j) {
      float t = 0.0f;
      t += w[2 * j];
      t += w[2 * j + 1];
      total[j] = t;
    }
    for (int64_t j = 0; j < rows; ++j) log_total[j] = logf(total[j]);
    for (int s = 0; s < count; ++s) {
      const ActContext& c = seats[s];
      for (int64_t k = 0; k < m; ++k) {
        const int64_t j = s * m + k;
        const float t = total[j];
        float h = log_total[j];
        for (int i = 0; i < 2; ++i)
          if (d[2 * j + i] != 0.0f) h -= w[2 * j + i] / t * d[2 * j + i];
        // choose_action: the first action whose running weight passes u * total.
        float acc = 0.0f;
        acc += w[2 * j];
        const int action = planes[s * n + k0 + k] * t < acc ? 0 : 1;
        const int64_t i = (b0 + k0 + k) * c.out_stride + c.agent;
        c.actions[i] = action;
        c.logp[i] = d[2 * j + action] - log_total[j];
        c.entropy[i] = h;
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
  thread_local std::vector<float> planes;
  bool planed = count <= 4 && n > 0 && seats[0].first_env + b1 <= (int64_t{1} << 32);
  for (int s = 0; planed && s < count; ++s) {
    const ActContext& c = seats[s];
    planed = !c.greedy && c.agent == seats[0].agent + s && (c.agent >> 2) == (seats[0].agent >> 2) &&
             c.seed == seats[0].seed && c.step == seats[0].step && c.first_env == seats[0].first_env;
  }
  if (planed) {
    planes.resize(static_cast<size_t>(n * count));
    const ActContext& c = seats[0];
    rng::uniform_planes(c.seed, static_cast<uint32_t>(c.first_env + b0), n, 0, static_cast<uint32_t>(c.step),
                        rng::kSample, static_cast<uint32_t>(c.agent), count, planes.data());
  }
  const float* u = planed ? planes.data() : nullptr;
  const bool two = actions == 2 && !seats[0].envs->game().has_illegal_actions();
  if (two && planed && sample_two_block(seats, count, b0, b1, logits, u)) return;
  if (two)
    sample_rows<2>(seats, count, b0, b1, logits, actions, u, who);
  else
    sample_rows<0>(seats, count, b0, b1, logits, actions, u, who);
}

}  // namespace dilemma
