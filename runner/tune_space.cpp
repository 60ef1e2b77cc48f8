#include "runner/tune_space.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "core/closest_name.h"
#include "core/error.h"
#include "runner/number_format.h"
#include "runner/parse_integer.h"

namespace deepobs::runner {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);)
    parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

double parse_bound(const std::string& spec, const std::string& text) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  DEEPOBS_CHECK(used == text.size() && used > 0 && std::isfinite(v), "--space '", spec, "': '",
                text, "' is not a finite number");
  return v;
}

// The text a value travels in: integers in decimal, floats as the shortest exact text.
std::string number_text(double v, bool integer) {
  if (integer) return std::to_string(std::llround(v));
  return python_float_repr(v);
}

// Uniform in [0, 1) from the top 53 bits of one draw: the same on every standard library.
double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

SearchAxis parse_search_axis(const std::string& spec, const OptimizerInfo& optimizer) {
  const auto eq = spec.find('=');
  DEEPOBS_CHECK(eq != std::string::npos && eq > 0, "--space '", spec,
                "': expected name=kind:..., e.g. 'lr=log:1e-5:1e2:36', 'momentum=lin:0.8:0.99:3' "
                "or 'use_nesterov=cat:true,false'");
  SearchAxis axis;
  axis.name = spec.substr(0, eq);
  if (axis.name == "learning_rate") axis.name = "lr";
  const HyperparameterSpec* hp =
      axis.name == "lr" ? nullptr : optimizer.find_hyperparameter(axis.name);
  if (axis.name != "lr" && hp == nullptr) {
    std::vector<std::string> known = {"lr"};
    for (const auto& h : optimizer.hyperparameters)
      known.push_back(h.name);
    std::string list;
    for (const auto& k : known)
      list += (list.empty() ? "" : ", ") + k;
    const auto near = closest_name(axis.name, known);
    throw Error(cat("--space '", spec, "': ", optimizer.name, " has no hyperparameter '", axis.name,
                    "'", near ? " (did you mean '" + *near + "'?)" : std::string(),
                    "; it has: ", list));
  }
  const std::string rest = spec.substr(eq + 1);
  const auto colon = rest.find(':');
  const std::string kind = rest.substr(0, colon);
  const std::string args = colon == std::string::npos ? "" : rest.substr(colon + 1);
  const bool numeric =
      hp == nullptr || hp->type == HyperparameterType::F64 || hp->type == HyperparameterType::I64;
  if (kind == "cat") {
    axis.kind = AxisKind::Cat;
    axis.values = split(args, ',');
    DEEPOBS_CHECK(!axis.values.empty(), "--space '", spec,
                  "': cat needs one or more values, e.g. cat:true,false");
    for (const auto& v : axis.values) {
      DEEPOBS_CHECK(!v.empty(), "--space '", spec, "': an empty value in the cat list");
      DEEPOBS_CHECK(std::count(axis.values.begin(), axis.values.end(), v) == 1, "--space '", spec,
                    "': the value '", v, "' appears twice");
      // The values of a hyperparameter are checked against its type and range by the planner,
      // together with the fixed hyperparameters (TunePlan), before anything runs.
      if (hp == nullptr)
        DEEPOBS_CHECK(parse_bound(spec, v) > 0, "--space '", spec,
                      "': the learning rate must be > 0, got ", v);
    }
    return axis;
  }
  DEEPOBS_CHECK(kind == "log" || kind == "lin", "--space '", spec, "': unknown kind '", kind,
                "' (log:min:max[:count], lin:min:max[:count] or cat:a,b,...)");
  DEEPOBS_CHECK(numeric, "--space '", spec, "': ", axis.name, " is a ",
                hyperparameter_type_name(hp->type), " hyperparameter; list its values with cat, ",
                "e.g. '", axis.name, "=cat:",
                hp->type == HyperparameterType::Bool ? std::string("true,false")
                : hp->choices.empty()                ? ""
                                                     : hp->choices[0],
                "'");
  axis.kind = kind == "log" ? AxisKind::Log : AxisKind::Lin;
  axis.integer = hp != nullptr && hp->type == HyperparameterType::I64;
  const auto parts = split(args, ':');
  DEEPOBS_CHECK(parts.size() == 2 || parts.size() == 3, "--space '", spec, "': ", kind,
                " takes min:max or min:max:count, e.g. '", axis.name, "=", kind,
                kind == "log" ? ":1e-5:1e2:36'" : ":0.8:0.99:3'");
  axis.min = parse_bound(spec, parts[0]);
  axis.max = parse_bound(spec, parts[1]);
  DEEPOBS_CHECK(axis.min < axis.max, "--space '", spec, "': min ", parts[0], " must be below max ",
                parts[1], " (for a single value use cat:", parts[0], ")");
  DEEPOBS_CHECK(axis.kind != AxisKind::Log || axis.min > 0, "--space '", spec,
                "': log needs bounds > 0, got min ", parts[0], " (use lin for ranges reaching 0)");
  if (parts.size() == 3) {
    const std::optional<long long> parsed = parse_integer(parts[2]);
    DEEPOBS_CHECK(parsed.has_value(), "--space '", spec, "': count '", parts[2],
                  "' is not an integer");
    const long long count = *parsed;
    DEEPOBS_CHECK(count >= 2, "--space '", spec, "': count must be at least 2 for min < max, got ",
                  count, " (for a single value use cat:", parts[0], ")");
    DEEPOBS_CHECK(count <= 1000000, "--space '", spec, "': count ", count, " is too large");
    axis.count = static_cast<int>(count);
  }
  if (hp != nullptr) {
    DEEPOBS_CHECK(in_range(*hp, axis.min) && in_range(*hp, axis.max), "--space '", spec,
                  "': ", axis.name, " must lie in ", range_string(*hp), " for ", optimizer.name);
  }
  return axis;
}

std::vector<std::string> grid_values(const SearchAxis& axis) {
  if (axis.kind == AxisKind::Cat) return axis.values;
  DEEPOBS_CHECK(axis.count >= 1, "--space '", axis.name,
                "': the grid needs a count, e.g. ':36' at the end (random search does not)");
  std::vector<std::string> values;
  const int n = axis.count;
  // (a·(n−1−i) + b·i)/(n−1) rather than a + i·(b−a)/(n−1): exact at both ends, and for
  // log:1e-5:1e2:36 the exponents are DeepOBS's k/5 to the last bit.
  const auto between = [n](double a, double b, int i) {
    return n == 1 ? a : (a * (n - 1 - i) + b * i) / (n - 1);
  };
  for (int i = 0; i < n; ++i) {
    const double v = axis.kind == AxisKind::Log
                         ? std::pow(10.0, between(std::log10(axis.min), std::log10(axis.max), i))
                         : between(axis.min, axis.max, i);
    std::string text = number_text(v, axis.integer);
    if (std::find(values.begin(), values.end(), text) == values.end())
      values.push_back(std::move(text));
  }
  return values;
}

std::vector<SearchPoint> grid_points(const std::vector<SearchAxis>& axes, std::int64_t budget) {
  std::vector<std::vector<std::string>> values;
  std::int64_t size = 1;
  for (const auto& a : axes) {
    values.push_back(grid_values(a));
    size *= static_cast<std::int64_t>(values.back().size());
    DEEPOBS_CHECK(size <= 100000000, "the grid has more than 1e8 points; shrink --space");
  }
  DEEPOBS_CHECK(budget <= 0 || size <= budget, "the grid has ", size, " settings but --budget is ",
                budget, "; raise --budget, shrink the counts of --space or use --strategy random");
  std::vector<SearchPoint> points(1);
  for (std::size_t a = 0; a < axes.size(); ++a) {
    std::vector<SearchPoint> next;
    for (const auto& p : points)
      for (const auto& v : values[a]) {
        SearchPoint q = p;
        q.emplace_back(axes[a].name, v);
        next.push_back(std::move(q));
      }
    points = std::move(next);
  }
  return points;
}

std::vector<SearchPoint> random_points(const std::vector<SearchAxis>& axes, std::int64_t budget,
                                       std::uint64_t seed) {
  DEEPOBS_CHECK(budget >= 1,
                "--strategy random needs --budget N (the number of settings to "
                "draw), N >= 1");
  std::mt19937_64 rng(seed);
  std::vector<SearchPoint> points;
  for (std::int64_t i = 0; i < budget; ++i) {
    SearchPoint p;
    for (const auto& a : axes) {
      const double u = uniform01(rng);
      if (a.kind == AxisKind::Cat) {
        const auto k = std::min(static_cast<std::size_t>(u * static_cast<double>(a.values.size())),
                                a.values.size() - 1);
        p.emplace_back(a.name, a.values[k]);
      } else if (a.kind == AxisKind::Log) {
        const double lo = std::log10(a.min), hi = std::log10(a.max);
        p.emplace_back(a.name, number_text(std::pow(10.0, lo + u * (hi - lo)), a.integer));
      } else {
        p.emplace_back(a.name, number_text(a.min + u * (a.max - a.min), a.integer));
      }
    }
    points.push_back(std::move(p));
  }
  return points;
}

}  // namespace deepobs::runner
