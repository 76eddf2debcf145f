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

const char* param_type_name(ParamType type) {
  switch (type) {
    case ParamType::kInteger: return "integer";
    case ParamType::kNumber: return "number";
    case ParamType::kFlag: return "boolean";
    case ParamType::kChoice: return "choice";
    case ParamType::kNumbers: return "numbers";
    case ParamType::kTokens: return "tokens";
    case ParamType::kIntegers: return "integers";
  }
  return "number";
}

ParamSpec ParamSpec::integer(std::string name, int fallback, int lo, int hi, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kInteger;
  s.fallback = fallback;
  s.lo = lo;
  s.hi = hi;
  s.doc = std::move(doc);
  return s;
}

ParamSpec ParamSpec::number(std::string name, double fallback, double lo, double hi, std::string doc) {
  ParamSpec s = integer(std::move(name), 0, 0, 0, std::move(doc));
  s.type = ParamType::kNumber;
  s.fallback = fallback;
  s.lo = lo;
  s.hi = hi;
  return s;
}

ParamSpec ParamSpec::flag(std::string name, bool fallback, std::string doc) {
  ParamSpec s = integer(std::move(name), fallback ? 1 : 0, 0, 1, std::move(doc));
  s.type = ParamType::kFlag;
  return s;
}

ParamSpec ParamSpec::choice(std::string name, std::string fallback, std::vector<std::string> choices, std::string doc) {
  ParamSpec s = integer(std::move(name), 0, 0, 0, std::move(doc));
  s.type = ParamType::kChoice;
  s.text_fallback = std::move(fallback);
  s.choices = std::move(choices);
  return s;
}

ParamSpec ParamSpec::numbers(std::string name, size_t length, std::string doc) {
  ParamSpec s = integer(std::move(name), 0, 0, 0, std::move(doc));
  s.type = ParamType::kNumbers;
  s.length = length;
  return s;
}

ParamSpec ParamSpec::tokens(std::string name, std::string fallback, std::vector<std::string> presets, size_t max_tokens,
                            std::string doc) {
  ParamSpec s = choice(std::move(name), std::move(fallback), std::move(presets), std::move(doc));
  s.type = ParamType::kTokens;
  s.length = max_tokens;
  return s;
}

ParamSpec ParamSpec::integers(std::string name, std::vector<double> fallback, size_t max_length, int lo, int hi,
                              std::string doc) {
  ParamSpec s = integer(std::move(name), 0, lo, hi, std::move(doc));
  s.type = ParamType::kIntegers;
  s.list_fallback = std::move(fallback);
  s.length = max_length;
  return s;
}

ParamSpec ParamSpec::computed_default() const {
  ParamSpec s = *this;
  s.has_default = false;
  return s;
}

std::vector<double> Params::integers(const ParamSpec& s) const {
  used_.insert(s.name);
  auto it = values_.find(s.name);
  if (it == values_.end()) return s.list_fallback;
  const auto* v = std::get_if<std::vector<double>>(&it->second);
  if (!v || v->size() > s.length)
    throw Error(codes::kInvalidParam, name(s.name) + " must be an array of at most " + std::to_string(s.length) +
                                          " integers");
  for (size_t i = 0; i < v->size(); ++i) {
    const double x = (*v)[i];
    if (!(x >= s.lo && x <= s.hi && std::floor(x) == x))
      throw Error(codes::kInvalidParam, name(s.name) + "[" + std::to_string(i) + "] must be an integer in [" +
                                            fmt(s.lo) + ", " + fmt(s.hi) + "], got " + fmt(x));
  }
  return *v;
}

const ParamSpec& spec_of(const ParamSpecs& specs, const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) return s;
  throw Error(codes::kInvalidParam, "no parameter spec '" + name + "'");
}

std::string Params::choice(const ParamSpec& s) const {
  const std::string v = text(s.name, s.text_fallback);
  for (const auto& c : s.choices)
    if (c == v) return v;
  std::string known;
  for (const auto& c : s.choices) known += (known.empty() ? "" : ", ") + c;
  throw Error(codes::kInvalidParam, name(s.name) + " '" + v + "' is unknown (known: " + known + ")");
}

void Params::reject_unknown() const {
  for (const auto& [key, value] : values_)
    if (!used_.count(key)) throw Error(codes::kInvalidParam, name(key) + " is not a known parameter");
}

}  // namespace dilemma
