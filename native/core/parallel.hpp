// Splits [0, n) into contiguous chunks, one per thread, and runs fn(b0, b1)
// on each. Work is assigned by index only, so results never depend on the
// thread count. The first exception thrown by any chunk is rethrown.
#pragma once

#include <cstdint>
#include <functional>

namespace dilemma {

// Default thread count for batched work: set_default_threads(), else the
// hardware concurrency (at least 1).
int default_threads();
int hardware_threads();
void set_default_threads(int n);  // n <= 0 restores the hardware default
// Chunks smaller than min_chunk are merged, so tiny batches stay on one thread.
void parallel_for(int64_t n, int threads, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace dilemma
