// The optimizers the `deepobs` executable knows by name. An explicit list (no static
// self-registration, ARCHITECTURE §7): adding a built-in optimizer means adding one line to
// registry.cpp. A name that looks like a path (plugin_loader.h: contains '/' or ends in ".so")
// is loaded as a plugin instead; both kinds then go through the same Optimizer host object.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "optimizers/optimizer.h"

namespace deepobs {

// The built-in optimizers in listing order (GradientDescentOptimizer, MomentumOptimizer,
// AdamOptimizer). The pointers are to static infos and stay valid for the program.
const std::vector<const OptimizerInfo*>& builtin_optimizers();

// The built-in optimizer whose class name or alias equals `name_or_alias`, ignoring ASCII case
// ("sgd", "SGD" and "GradientDescentOptimizer" all find gradient descent), or the plugin at that
// path (load_plugin). Throws deepobs::Error listing the known names and aliases, with the closest
// one as a suggestion, for any other name, and load_plugin's errors for a bad plugin.
const OptimizerInfo& find_optimizer(std::string_view name_or_alias);

// Creates the optimizer named `name_or_alias` (as find_optimizer) over `flat`, which must outlive
// it. `hyperparameters` must hold exactly that optimizer's hyperparameters, typed and in range, as
// resolve_hyperparameters(find_optimizer(name), ...) returns them; else deepobs::Error. `facts`
// fill the plugin's problem description (unknown by default).
std::unique_ptr<Optimizer> make_optimizer(std::string_view name_or_alias, FlatParameters& flat,
                                          const Hyperparameters& hyperparameters,
                                          const ProblemFacts& facts = {});

}  // namespace deepobs
