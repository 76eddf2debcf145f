#include "draws.hpp"

namespace dilemma::rng {

namespace {

template <int kCount>
void planes(uint64_t seed, uint32_t stream0, int64_t n, uint32_t episode, uint32_t step, uint32_t c3, uint32_t first,
            float* out) {
  for (int64_t j = 0; j < n; ++j) {
    const U32x4 r = philox4x32(seed, stream0 + static_cast<uint32_t>(j), episode, step, c3);
    for (int w = 0; w < kCount; ++w) out[w * n + j] = to_unit_float(r.v[first + w]);
  }
}

}  // namespace

__attribute__((target_clones("avx2", "default"))) void uniform_planes(uint64_t seed, uint32_t stream0, int64_t n,
                                                                       uint32_t episode, uint32_t step, Domain domain,
                                                                       uint32_t slot, int count, float* out) {
  const uint32_t c3 = slot_counter(domain, slot), first = slot & 3u;
  if (count > static_cast<int>(4 - first)) count = static_cast<int>(4 - first);
  switch (count) {
    case 1: return planes<1>(seed, stream0, n, episode, step, c3, first, out);
    case 2: return planes<2>(seed, stream0, n, episode, step, c3, first, out);
    case 3: return planes<3>(seed, stream0, n, episode, step, c3, first, out);
    default: return planes<4>(seed, stream0, n, episode, step, c3, first, out);
  }
}

}  // namespace dilemma::rng
