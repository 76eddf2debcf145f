#include "params.hpp"

#include <cmath>
#include <sstream>

#include "error.hpp"

namespace dilemma {

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

namespace {
std::string fmt(double v) { return format_number(v); }
}  // namespace

double Params::number(const std::string& key, double fallback, double lo, double hi) const {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  const double* v = std::get_if<double>(&it->second);
  if (!v) throw Error(codes::kInvalidParam, name(key) + " must be a number");
  if (!std::isfinite(*v) || *v < lo || *v > hi)
    throw Error(codes::kInvalidParam,
                name(key) + " must be a finite number in [" + fmt(lo) + ", " + fmt(hi) + "], got " + fmt(*v));
  return *v;
}

int Params::integer(const std::string& key, int fallback, int lo, int hi) const {
  const double v = number(key, fallback, lo, hi);
  if (std::floor(v) != v) throw Error(codes::kInvalidParam, name(key) + " must be an integer, got " + fmt(v));
  return static_cast<int>(v);
}

std::vector<double> Params::numbers(const std::string& key, const std::vector<double>& fallback,
                                    size_t length) const {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  const auto* v = std::get_if<std::vector<double>>(&it->second);
  if (!v) throw Error(codes::kInvalidParam, name(key) + " must be an array of numbers");
  if (v->size() != length)
    throw Error(codes::kInvalidParam, name(key) + " must have " + std::to_string(length) + " numbers, got " +
                                          std::to_string(v->size()));
  for (size_t i = 0; i < v->size(); ++i)
    if (!std::isfinite((*v)[i]))
      throw Error(codes::kInvalidParam, name(key) + "[" + std::to_string(i) + "] must be finite");
  return *v;
}

std::string Params::text(const std::string& key, const std::string& fallback) const {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  const auto* v = std::get_if<std::string>(&it->second);
  if (!v) throw Error(codes::kInvalidParam, name(key) + " must be a string");
  return *v;
}

void Params::reject_unknown() const {
  for (const auto& [key, value] : values_)
    if (!used_.count(key)) throw Error(codes::kInvalidParam, name(key) + " is not a known parameter");
}

}  // namespace dilemma
