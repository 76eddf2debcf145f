// How the models spread a batch over threads. Rows of a forward pass are
// independent, so any split gives the same bits. A parameter gradient is a
// sum over rows, and float addition is not associative: to keep it
// bit-identical for any thread count, every chunk of sequences sums into its
// own zeroed buffer, and the buffers are added into grad in chunk order.
// Chunk boundaries depend on the batch shape [B, T] only: 32 sequences, or
// fewer for long sequences so that long, narrow batches still spread out.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../parallel.hpp"

namespace dilemma::learn {

inline constexpr int64_t kChunkSequences = 32;
inline constexpr int64_t kChunkRows = 512;

inline int64_t chunk_sequences(int64_t T) {
  return std::clamp<int64_t>(kChunkRows / std::max<int64_t>(1, T), 1, kChunkSequences);
}
// Multiply-adds below which starting a thread costs more than it saves.
inline constexpr int64_t kMinWorkPerThread = int64_t{1} << 16;
// Floats of partial gradient buffers alive at once (64 MiB), unless the
// thread count needs more: chunks beyond it run in successive waves, which
// changes nothing in the arithmetic.
inline constexpr int64_t kPartialBudget = int64_t{1} << 24;

// fn(i0, i1) over [0, n) on the default threads, each part big enough to be
// worth a thread given the multiply-adds one item costs.
template <class Fn>
void parallel_items(int64_t n, int64_t cost_per_item, Fn&& fn) {
  const int64_t min_items = std::max<int64_t>(1, kMinWorkPerThread / std::max<int64_t>(1, cost_per_item));
  parallel_for(n, default_threads(), min_items, fn);
}

// Adds to grad [num_params] the gradient over sequences [0, B) of length T.
// make_worker() runs once per thread part and returns a callable
// worker(s0, s1, partial) that adds the gradient of sequences [s0, s1) to
// partial (zeroed, num_params floats), so per-thread scratch is set up once.
template <class MakeWorker>
void chunked_gradient(int64_t B, int64_t T, int64_t num_params, int64_t cost_per_sequence, float* grad,
                      MakeWorker&& make_worker) {
  if (B <= 0 || T <= 0 || num_params <= 0) return;
  const int64_t size = chunk_sequences(T);
  const int64_t chunks = (B + size - 1) / size;
  const int64_t wave = std::min(chunks, std::max<int64_t>(default_threads(), kPartialBudget / num_params));
  std::vector<float> partials(static_cast<size_t>(wave * num_params));
  for (int64_t c0 = 0; c0 < chunks; c0 += wave) {
    const int64_t count = std::min(chunks, c0 + wave) - c0;
    parallel_items(count, size * cost_per_sequence, [&](int64_t i0, int64_t i1) {
      auto worker = make_worker();
      for (int64_t i = i0; i < i1; ++i) {
        float* partial = partials.data() + i * num_params;
        std::fill(partial, partial + num_params, 0.0f);
        const int64_t s0 = (c0 + i) * size;
        worker(s0, std::min(B, s0 + size), partial);
      }
    });
    parallel_items(num_params, count, [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < count; ++i) {
        const float* partial = partials.data() + i * num_params;
        for (int64_t j = j0; j < j1; ++j) grad[j] += partial[j];
      }
    });
  }
}

}  // namespace dilemma::learn
