// Small rules more than one game follows: a uniform pick from a draw,
// saturating statistics counters, and ordered low/high parameters.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "../error.hpp"
#include "../params.hpp"

namespace dilemma {

// Index in [0, n) from a uniform draw in [0, 1).
inline int pick(float u, int n) {
  const int k = static_cast<int>(u * static_cast<float>(n));
  return k < n ? k : n - 1;
}

// Counters stay defined whatever the parameters: they stop at the int32 limits.
inline void add_saturated(int32_t& counter, double amount) {
  const double v = static_cast<double>(counter) + std::nearbyint(amount);
  constexpr double hi = std::numeric_limits<int32_t>::max(), lo = std::numeric_limits<int32_t>::min();
  counter = static_cast<int32_t>(v > hi ? hi : (v < lo ? lo : v));
}

// Throws ERR_INVALID_PARAM naming both parameters unless low <= high (low <
// high when strict).
inline void require_ordered(const Params& p, const std::string& low_name, double low, const std::string& high_name,
                            double high, bool strict) {
  if (strict ? low < high : low <= high) return;
  throw Error(codes::kInvalidParam, p.owner() + "." + low_name + " (" + format_number(low) + ") must " +
                                        (strict ? "be below " : "not exceed ") + p.owner() + "." + high_name + " (" +
                                        format_number(high) + ")");
}

}  // namespace dilemma
