// Game and strategy parameters as data: a flat map from name to a number, a
// list of numbers or a string. Getters check range and type and name the
// parameter in the error; take() marks a key as used so that unknown keys can
// be rejected instead of silently ignored.
//
// A ParamSpec is a parameter's one description (type, default, range,
// choices, doc): the constructors read through it and the binding exports
// it, so TypeScript's schemas, types and help text never restate a range.
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

enum class ParamType {
  kInteger,  // an integer in [lo, hi]
  kNumber,   // a finite number in [lo, hi]
  kFlag,     // a boolean, natively 0 or 1
  kChoice,   // one of choices
  kNumbers,  // exactly length finite numbers; no default (absent = unset)
  kTokens,   // one of choices (presets) or a list of at most length tokens
  kIntegers, // a list of at most length integers, each in [lo, hi]
};

const char* param_type_name(ParamType type);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kNumber;
  double fallback = 0;       // kInteger, kNumber, kFlag
  std::string text_fallback;  // kChoice, kTokens
  double lo = 0, hi = 0;      // kInteger, kNumber
  size_t length = 0;          // kNumbers: exact, kTokens: at most
  std::vector<std::string> choices;
  std::vector<double> list_fallback;  // kIntegers
  std::string doc;
  // false where an absent value is computed from other parameters or the
  // context (the doc says how): no default is exported.
  bool has_default = true;

  static ParamSpec integer(std::string name, int fallback, int lo, int hi, std::string doc);
  static ParamSpec number(std::string name, double fallback, double lo, double hi, std::string doc);
  static ParamSpec flag(std::string name, bool fallback, std::string doc);
  static ParamSpec choice(std::string name, std::string fallback, std::vector<std::string> choices, std::string doc);
  static ParamSpec numbers(std::string name, size_t length, std::string doc);
  static ParamSpec tokens(std::string name, std::string fallback, std::vector<std::string> presets, size_t max_tokens,
                          std::string doc);
  static ParamSpec integers(std::string name, std::vector<double> fallback, size_t max_length, int lo, int hi,
                            std::string doc);
  // This spec without an exported default (see has_default).
  ParamSpec computed_default() const;
};

using ParamSpecs = std::vector<ParamSpec>;

// The spec called name in specs; throws (a bug, not a caller's error) when absent.
const ParamSpec& spec_of(const ParamSpecs& specs, const std::string& name);

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

  // Reads through a spec: its default, its range, its choices. The fallback
  // overloads replace the default where it depends on another parameter.
  double number(const ParamSpec& s) const { return number(s.name, s.fallback, s.lo, s.hi); }
  int integer(const ParamSpec& s) const { return integer(s, static_cast<int>(s.fallback)); }
  int integer(const ParamSpec& s, int fallback) const {
    return integer(s.name, fallback, static_cast<int>(s.lo), static_cast<int>(s.hi));
  }
  bool flag(const ParamSpec& s) const { return integer(s.name, s.fallback != 0 ? 1 : 0, 0, 1) == 1; }
  std::string choice(const ParamSpec& s) const;
  std::vector<double> numbers(const ParamSpec& s) const { return numbers(s.name, {}, s.length); }
  std::string text(const ParamSpec& s) const { return text(s.name, s.text_fallback); }
  std::vector<double> integers(const ParamSpec& s) const;

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
