// Game and strategy parameters as data: a flat map from name to a number, a
// list of numbers or a string. Getters check range and type and name the
// parameter in the error; take() marks a key as used so that unknown keys can
// be rejected instead of silently ignored.
#pragma once

#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace dilemma {

using ParamValue = std::variant<double, std::vector<double>, std::string>;

// A number as error messages show it (shortest of %g style).
std::string format_number(double v);

class Params {
 public:
  Params() = default;
  Params(std::string owner, std::map<std::string, ParamValue> values)
      : owner_(std::move(owner)), values_(std::move(values)) {}

  void set(const std::string& key, ParamValue v) { values_[key] = std::move(v); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }

  double number(const std::string& key, double fallback, double lo, double hi) const;
  int integer(const std::string& key, int fallback, int lo, int hi) const;
  std::vector<double> numbers(const std::string& key, const std::vector<double>& fallback,
                              size_t length) const;
  std::string text(const std::string& key, const std::string& fallback) const;

  // Throws for any key no getter has asked for.
  void reject_unknown() const;
  const std::string& owner() const { return owner_; }

 private:
  std::string name(const std::string& key) const { return owner_ + "." + key; }
  std::string owner_ = "params";
  std::map<std::string, ParamValue> values_;
  mutable std::set<std::string> used_;
};

}  // namespace dilemma
