// The sampler's and the loss's exp and log (float_math.hpp) against double
// precision libm over their whole domains: every float of the domain the
// sampler uses most ([1, 2] for the log of a two-action total), and an
// evenly strided sweep of every other float.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

#include "../core/float_math.hpp"
#include "check.hpp"

using namespace dilemma;

namespace {

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// |got - exact| in units of the last place of the float nearest to exact.
double ulp_error(float got, double exact) {
  const float near = static_cast<float>(exact);
  const double ulp = static_cast<double>(std::nextafter(std::fabs(near), std::numeric_limits<float>::infinity())) -
                     std::fabs(static_cast<double>(near));
  return std::fabs(static_cast<double>(got) - exact) / ulp;
}

}  // namespace

TEST("exp_nonpositive_or_zero: within 1 ulp on [-87, 0], exactly 1 at 0, 0 below -87, NaN kept") {
  double worst = 0;
  float at = 0;
  // Bit patterns of -0 up to -87, every 61st.
  for (uint32_t u = bits_of(-0.0f); u <= bits_of(-87.0f); u += 61) {
    const float y = from_bits(u);
    const double e = ulp_error(float_math::exp_nonpositive_or_zero(y), std::exp(static_cast<double>(y)));
    if (e > worst) worst = e, at = y;
  }
  std::printf("# exp: worst %.3f ulp at %g\n", worst, at);
  CHECK(worst < 1.0);
  CHECK_EQ(float_math::exp_nonpositive_or_zero(0.0f), 1.0f);
  CHECK_EQ(float_math::exp_nonpositive_or_zero(-0.0f), 1.0f);
  CHECK_EQ(float_math::exp_nonpositive_or_zero(-std::log(2.0f)), 0.5f);
  for (float y : {-87.01f, -100.0f, -1e30f, -std::numeric_limits<float>::infinity()})
    CHECK_EQ(bits_of(float_math::exp_nonpositive_or_zero(y)), 0u);
  CHECK(std::isnan(float_math::exp_nonpositive_or_zero(std::numeric_limits<float>::quiet_NaN())));
}

TEST("log_positive: within 1 ulp over every float in [1, 2] and a sweep of all positive normals") {
  double worst = 0;
  float at = 0, previous = -1.0f;
  bool monotone = true;
  for (uint32_t u = bits_of(1.0f); u <= bits_of(2.0f); ++u) {
    const float x = from_bits(u), l = float_math::log_positive(x);
    monotone = monotone && l >= previous;
    previous = l;
    if (x == 1.0f) continue;  // log 1 = 0: checked exactly below
    const double e = ulp_error(l, std::log(static_cast<double>(x)));
    if (e > worst) worst = e, at = x;
  }
  CHECK(monotone);
  for (uint32_t u = bits_of(std::numeric_limits<float>::min()); u < bits_of(std::numeric_limits<float>::infinity());
       u += 127) {
    const float x = from_bits(u);
    if (x == 1.0f) continue;
    const double e = ulp_error(float_math::log_positive(x), std::log(static_cast<double>(x)));
    if (e > worst) worst = e, at = x;
  }
  std::printf("# log: worst %.3f ulp at %g\n", worst, at);
  CHECK(worst < 1.0);
  CHECK_EQ(bits_of(float_math::log_positive(1.0f)), 0u);
  CHECK_EQ(float_math::log_positive(2.0f), static_cast<float>(std::log(2.0)));
  CHECK_EQ(float_math::log_positive(std::numeric_limits<float>::max()), 88.7228394f);
}
