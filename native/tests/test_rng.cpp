#include <algorithm>
#include <set>
#include <vector>

#include "../core/draws.hpp"
#include "../core/rng.hpp"
#include "check.hpp"

using dilemma::rng::philox4x32;

// Known-answer vectors of Philox4x32-10 published with the Random123 library.
TEST("philox4x32-10 known answers") {
  auto r = philox4x32(0, 0, 0, 0, 0);
  CHECK_EQ(r.v[0], 0x6627e8d5u);
  CHECK_EQ(r.v[1], 0xe169c58du);
  CHECK_EQ(r.v[2], 0xbc57ac4cu);
  CHECK_EQ(r.v[3], 0x9b00dbd8u);
  r = philox4x32(0xffffffffffffffffull, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu);
  CHECK_EQ(r.v[0], 0x408f276du);
  CHECK_EQ(r.v[1], 0x41c83b0eu);
  CHECK_EQ(r.v[2], 0xa20bc7c6u);
  CHECK_EQ(r.v[3], 0x6d5451fdu);
  r = philox4x32((uint64_t{0x299f31d0u} << 32) | 0xa4093822u, 0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u);
  CHECK_EQ(r.v[0], 0xd16cfe09u);
  CHECK_EQ(r.v[1], 0x94fdccebu);
  CHECK_EQ(r.v[2], 0x5001e420u);
  CHECK_EQ(r.v[3], 0x24126ea1u);
}

TEST("uniform draws lie in [0, 1), have mean 1/2 and differ by counter and domain") {
  double sum = 0;
  std::set<float> seen;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const float u = dilemma::rng::uniform(7, i, 0, 0, dilemma::rng::kEnv, 0);
    CHECK(u >= 0.0f && u < 1.0f);
    sum += u;
    if (i < 1000) seen.insert(u);
  }
  CHECK_CLOSE(sum / n, 0.5, 0, 0.005);
  CHECK(seen.size() > 990);
  CHECK(dilemma::rng::uniform(7, 1, 2, 3, dilemma::rng::kEnv, 4) !=
        dilemma::rng::uniform(7, 1, 2, 3, dilemma::rng::kSample, 4));
  CHECK(dilemma::rng::uniform(7, 1, 2, 3, dilemma::rng::kEnv, 4) == dilemma::rng::uniform(7, 1, 2, 3, dilemma::rng::kEnv, 4));
}

// Each instruction set this CPU has, narrowest first; the cap is lifted again after.
template <class F>
void on_every_simd(F&& check) {
  using dilemma::rng::Simd;
  struct Lift {
    ~Lift() { dilemma::rng::cap_draw_simd(Simd::kAvx512); }
  } lift;
  for (Simd cap : {Simd::kScalar, Simd::kAvx2, Simd::kAvx512}) {
    dilemma::rng::cap_draw_simd(cap);
    if (dilemma::rng::draw_simd() == cap) check();
  }
}

TEST("uniform_planes equals uniform, environment by environment, on every width, tail and instruction set") {
  on_every_simd([] {
    for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 79, 256, 300})
      for (uint32_t slot : {0u, 1u, 2u, 5u})
        for (int count = 1; count <= 3; ++count) {
          std::vector<float> out(static_cast<size_t>(count * n), -1.0f);
          const uint64_t seed = 0x123456789abcull + static_cast<uint64_t>(n);
          dilemma::rng::uniform_planes(seed, 4000000000u, n, 3, 17, dilemma::rng::kSample, slot, count, out.data());
          const int words = std::min<int>(count, 4 - static_cast<int>(slot & 3u));
          for (int w = 0; w < words; ++w)
            for (int64_t j = 0; j < n; ++j)
              CHECK_EQ(out[w * n + j], dilemma::rng::uniform(seed, 4000000000u + static_cast<uint32_t>(j), 3, 17,
                                                             dilemma::rng::kSample, slot + w));
          for (int64_t i = words * n; i < count * n; ++i) CHECK_EQ(out[i], -1.0f);  // words past the group stay untouched
        }
  });
}

TEST("uniform_steps equals uniform, step by step, on every width, tail and instruction set") {
  on_every_simd([] {
    for (int64_t n : {1, 8, 13, 16, 64, 71, 200})
      for (uint32_t slot : {0u, 3u, 6u}) {
        const int count = 2;
        std::vector<float> out(static_cast<size_t>(count * n), -1.0f);
        dilemma::rng::uniform_steps(99, 12, 4, 4294967290u, n, dilemma::rng::kScripted, slot, count, out.data());
        const int words = std::min<int>(count, 4 - static_cast<int>(slot & 3u));
        for (int w = 0; w < words; ++w)
          for (int64_t j = 0; j < n; ++j)
            CHECK_EQ(out[w * n + j], dilemma::rng::uniform(99, 12, 4, 4294967290u + static_cast<uint32_t>(j),
                                                           dilemma::rng::kScripted, slot + w));
      }
  });
}

TEST("the draws report the instruction set they take, and a cap lowers it") {
  using dilemma::rng::Simd;
  const Simd widest = dilemma::rng::draw_simd();
  dilemma::rng::cap_draw_simd(Simd::kScalar);
  CHECK(dilemma::rng::draw_simd() == Simd::kScalar);
  dilemma::rng::cap_draw_simd(Simd::kAvx512);
  CHECK(dilemma::rng::draw_simd() == widest);
}
