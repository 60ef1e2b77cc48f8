#include "optimizers/optimizer.h"

#include "core/closest_name.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>
#include <utility>

#include "core/error.h"

namespace deepobs {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = lower(c);
  return out;
}

// Shortest text that reads back as the same double ("0.9", "1e-08", "inf").
std::string format_number(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof(buf), x);
  return std::string(buf, result.ptr);
}

std::string format_value(const HyperparameterValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return format_number(*d);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* e = std::get_if<std::string>(&v)) return *e;
  return std::get<bool>(v) ? "true" : "false";
}

// std::from_chars rejects a leading '+', which people type ("+1e-3"); strip one if a digit or
// '.' follows so that "+-1" and a lone "+" still fail.
std::string_view strip_plus(std::string_view text) {
  if (text.size() >= 2 && text[0] == '+' &&
      (std::isdigit(static_cast<unsigned char>(text[1])) || text[1] == '.'))
    text.remove_prefix(1);
  return text;
}

std::optional<double> parse_f64(std::string_view text) {
  text = strip_plus(text);
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_i64(std::string_view text) {
  text = strip_plus(text);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string t = lowercase(text);
  if (t == "true" || t == "1") return true;
  if (t == "false" || t == "0") return false;
  return std::nullopt;
}

// What the text for a type should look like, for the unparsable-value message.
const char* type_example(HyperparameterType type) {
  switch (type) {
    case HyperparameterType::F64:
      return "a finite number such as 0.9 or 1e-8";
    case HyperparameterType::I64:
      return "an integer such as 100";
    case HyperparameterType::Bool:
      return "true, false, 1 or 0";
    case HyperparameterType::Enum:
      return "one of the listed choices";
  }
  return "";
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::vector<std::string> spec_names(const OptimizerInfo& info) {
  std::vector<std::string> names;
  for (const auto& spec : info.hyperparameters)
    names.push_back(spec.name);
  return names;
}

[[noreturn]] void throw_unknown(const OptimizerInfo& info, const std::string& name) {
  const std::string l = lowercase(name);
  // DeepOBS v1.2 and PyTorch treat the learning rate as a hyperparameter; here it is not.
  if (l == "lr" || l == "learning_rate") {
    throw Error(cat(info.name, ": '", name,
                    "' is not an optimizer hyperparameter: the learning rate is given separately "
                    "(the runner schedules it and passes it to every step)"));
  }
  if (info.hyperparameters.empty()) {
    throw Error(cat(info.name, ": unknown hyperparameter '", name, "'; ", info.name,
                    " has no hyperparameters besides the learning rate"));
  }
  const auto names = spec_names(info);
  const auto suggestion = closest_name(name, names);
  throw Error(cat(info.name, ": unknown hyperparameter '", name, "'",
                  suggestion ? cat(" (did you mean '", *suggestion, "'?)") : std::string(),
                  "; known: ", join(names, ", ")));
}

std::string describe(const HyperparameterSpec& spec) {
  std::string out(hyperparameter_type_name(spec.type));
  if (spec.type != HyperparameterType::Bool) out += cat(" in ", range_string(spec));
  if (!spec.doc.empty()) out += cat(": ", spec.doc);
  return out;
}

// Range check of a typed value; `shown` is how the value appears in the message.
void check_range(const OptimizerInfo& info, const HyperparameterSpec& spec, double value,
                 const std::string& shown) {
  DEEPOBS_CHECK(in_range(spec, value), info.name, ": hyperparameter '", spec.name, "' = ", shown,
                " is outside ", range_string(spec), " (", spec.doc, ")");
}

// Numeric view for range checks (Enum values are checked against the choices instead).
double as_double(const HyperparameterValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (std::holds_alternative<std::string>(v)) return 0.0;
  return std::get<bool>(v) ? 1.0 : 0.0;
}

bool is_choice(const HyperparameterSpec& spec, const std::string& text) {
  return std::find(spec.choices.begin(), spec.choices.end(), text) != spec.choices.end();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Spec helpers

std::string_view hyperparameter_type_name(HyperparameterType type) {
  switch (type) {
    case HyperparameterType::F64:
      return "f64";
    case HyperparameterType::I64:
      return "i64";
    case HyperparameterType::Bool:
      return "bool";
    case HyperparameterType::Enum:
      return "enum";
  }
  return "?";
}

HyperparameterType hyperparameter_value_type(const HyperparameterValue& value) {
  if (std::holds_alternative<double>(value)) return HyperparameterType::F64;
  if (std::holds_alternative<std::int64_t>(value)) return HyperparameterType::I64;
  if (std::holds_alternative<std::string>(value)) return HyperparameterType::Enum;
  return HyperparameterType::Bool;
}

std::string range_string(const HyperparameterSpec& spec) {
  if (spec.type == HyperparameterType::Bool) return "any";
  if (spec.type == HyperparameterType::Enum) return cat("{", join(spec.choices, ", "), "}");
  const bool lo_open = spec.min_exclusive || std::isinf(spec.min);
  const bool hi_open = spec.max_exclusive || std::isinf(spec.max);
  if (std::isinf(spec.min) && std::isinf(spec.max)) return "any";
  return cat(lo_open ? "(" : "[", format_number(spec.min), ", ", format_number(spec.max),
             hi_open ? ")" : "]");
}

bool in_range(const HyperparameterSpec& spec, double value) {
  if (spec.type == HyperparameterType::Bool || spec.type == HyperparameterType::Enum) return true;
  if (std::isnan(value)) return false;
  const bool above_min = spec.min_exclusive ? value > spec.min : value >= spec.min;
  const bool below_max = spec.max_exclusive ? value < spec.max : value <= spec.max;
  return above_min && below_max;
}

const HyperparameterSpec* OptimizerInfo::find_hyperparameter(std::string_view wanted) const {
  for (const auto& spec : hyperparameters)
    if (spec.name == wanted) return &spec;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Hyperparameters

void Hyperparameters::set(const std::string& name, HyperparameterValue value) {
  values_[name] = std::move(value);
}

bool Hyperparameters::contains(std::string_view name) const {
  return values_.find(name) != values_.end();
}

const HyperparameterValue& Hyperparameters::at(std::string_view name,
                                               HyperparameterType want) const {
  const auto it = values_.find(name);
  DEEPOBS_CHECK(it != values_.end(), "hyperparameter '", name, "' is not set");
  const HyperparameterType have = hyperparameter_value_type(it->second);
  DEEPOBS_CHECK(have == want, "hyperparameter '", name, "' is ", hyperparameter_type_name(have),
                ", not ", hyperparameter_type_name(want));
  return it->second;
}

double Hyperparameters::get_f64(std::string_view name) const {
  return std::get<double>(at(name, HyperparameterType::F64));
}

std::int64_t Hyperparameters::get_i64(std::string_view name) const {
  return std::get<std::int64_t>(at(name, HyperparameterType::I64));
}

bool Hyperparameters::get_bool(std::string_view name) const {
  return std::get<bool>(at(name, HyperparameterType::Bool));
}

const std::string& Hyperparameters::get_enum(std::string_view name) const {
  return std::get<std::string>(at(name, HyperparameterType::Enum));
}

Hyperparameters resolve_hyperparameters(const OptimizerInfo& info,
                                        const std::map<std::string, std::string>& given) {
  for (const auto& [name, text] : given)
    if (info.find_hyperparameter(name) == nullptr) throw_unknown(info, name);

  Hyperparameters out;
  std::vector<std::string> missing;
  for (const auto& spec : info.hyperparameters) {
    const auto it = given.find(spec.name);
    if (it == given.end()) {
      if (spec.default_value) {
        out.set(spec.name, *spec.default_value);
      } else {
        missing.push_back(cat("'", spec.name, "' (", describe(spec), ")"));
      }
      continue;
    }
    const std::string& text = it->second;
    std::optional<HyperparameterValue> value;
    switch (spec.type) {
      case HyperparameterType::F64:
        if (const auto v = parse_f64(text)) value = *v;
        break;
      case HyperparameterType::I64:
        if (const auto v = parse_i64(text)) value = *v;
        break;
      case HyperparameterType::Bool:
        if (const auto v = parse_bool(text)) value = *v;
        break;
      case HyperparameterType::Enum:
        DEEPOBS_CHECK(is_choice(spec, text), info.name, ": hyperparameter '", spec.name, "' = '",
                      text, "' is not one of ", range_string(spec),
                      spec.doc.empty() ? std::string() : cat(" (", spec.doc, ")"));
        value = text;
        break;
    }
    DEEPOBS_CHECK(value.has_value(), info.name, ": hyperparameter '", spec.name, "' expects ",
                  hyperparameter_type_name(spec.type), " (", type_example(spec.type), "), got '",
                  text, "'");
    check_range(info, spec, as_double(*value), text);
    out.set(spec.name, *value);
  }
  DEEPOBS_CHECK(missing.empty(), info.name, ": missing required hyperparameter",
                missing.size() > 1 ? "s " : " ", join(missing, ", "));
  return out;
}

void check_hyperparameters(const OptimizerInfo& info, const Hyperparameters& values) {
  for (const auto& [name, value] : values.values())
    if (info.find_hyperparameter(name) == nullptr) throw_unknown(info, name);
  for (const auto& spec : info.hyperparameters) {
    const auto it = values.values().find(spec.name);
    DEEPOBS_CHECK(it != values.values().end(), info.name, ": missing required hyperparameter '",
                  spec.name, "' (", describe(spec), ")");
    const HyperparameterType have = hyperparameter_value_type(it->second);
    DEEPOBS_CHECK(have == spec.type, info.name, ": hyperparameter '", spec.name, "' is ",
                  hyperparameter_type_name(have), " but must be ",
                  hyperparameter_type_name(spec.type));
    if (spec.type == HyperparameterType::Enum) {
      DEEPOBS_CHECK(is_choice(spec, std::get<std::string>(it->second)), info.name,
                    ": hyperparameter '", spec.name, "' = '", format_value(it->second),
                    "' is not one of ", range_string(spec));
      continue;
    }
    const double x = as_double(it->second);
    DEEPOBS_CHECK(std::isfinite(x), info.name, ": hyperparameter '", spec.name,
                  "' must be finite, got ", format_value(it->second));
    check_range(info, spec, x, format_value(it->second));
  }
}

}  // namespace deepobs
