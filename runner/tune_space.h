// The search space of `deepobs tune`: one axis per hyperparameter (`--space name=kind:...`) and
// the settings a grid or a seeded random search draws from it (SPEC §9: DeepOBS's GridSearch and
// RandomSearch).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "optimizers/optimizer.h"

namespace deepobs::runner {

// How an axis is spaced. Log and Lin are numeric ranges [min, max]; Cat is a list of texts.
enum class AxisKind { Log, Lin, Cat };

struct SearchAxis {
  // "lr" for the learning rate (also accepted as "learning_rate"), else the optimizer's
  // hyperparameter name as its spec writes it.
  std::string name;
  AxisKind kind = AxisKind::Lin;
  double min = 0, max = 0;  // Log, Lin
  // Log, Lin: points of the grid (min and max included); 0 when not given (random search only).
  int count = 0;
  bool integer = false;             // an I64 hyperparameter: values are rounded to integers
  std::vector<std::string> values;  // Cat: the choices as given
};

// Parses "name=log:1e-5:1e1:36", "momentum=lin:0.8:0.99:3", "use_nesterov=cat:true,false" (the
// count may be left out for random search). Checks the name against `optimizer`'s hyperparameter
// spec and the kind against its type (log and lin need a number, log positive bounds, a Bool or
// Enum only cat) and every cat value with resolve_hyperparameters' parsing. Throws deepobs::Error
// with one line naming the spec and the fix: unknown kind, malformed or non-finite bounds,
// min >= max, log bounds <= 0, count < 1 (or count 1 with min != max), unknown hyperparameter
// (with the closest name), empty or repeated cat values.
SearchAxis parse_search_axis(const std::string& spec, const OptimizerInfo& optimizer);

// One point of the space: (axis name, value as command-line text), in axis order.
using SearchPoint = std::vector<std::pair<std::string, std::string>>;

// The values of an axis on a grid: Log 10^(log10 min + i·(log10 max − log10 min)/(count − 1)),
// Lin min + i·(max − min)/(count − 1), i = 0…count−1 (one point: min); integers rounded and
// repeats dropped; Cat its values. Numbers as the shortest text that reads back exactly. Throws
// deepobs::Error for a Log/Lin axis without a count.
std::vector<std::string> grid_values(const SearchAxis& axis);

// The Cartesian product of the axes' grid values, the first axis varying slowest. Throws
// deepobs::Error when the product holds more than `budget` points (budget 0: no limit), naming
// the size and both fixes.
std::vector<SearchPoint> grid_points(const std::vector<SearchAxis>& axes, std::int64_t budget);

// `budget` points drawn independently: Log 10^U(log10 min, log10 max), Lin U(min, max), Cat a
// uniform choice; integer axes rounded. Reproducible: the same axes, budget and seed give the same
// points on every machine (a 64-bit Mersenne Twister turned into uniforms by hand, not through
// std::uniform_*_distribution, whose algorithm the standard leaves open). Repeated points are kept
// (they map to the same runs and are skipped as existing). budget must be >= 1.
std::vector<SearchPoint> random_points(const std::vector<SearchAxis>& axes, std::int64_t budget,
                                       std::uint64_t seed);

}  // namespace deepobs::runner
