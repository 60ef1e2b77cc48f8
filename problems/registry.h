// The test-problem registry: every problem's description and how to build it. An explicit list
// (no static self-registration); later issues append their problems to it.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "core/random/philox_generator.h"
#include "problems/problem.h"

namespace deepobs::problems {

struct ProblemEntry {
  ProblemInfo info;
  // Builds the network, drawing its initial parameters from `gen` (the run's init stream).
  std::function<std::unique_ptr<ProblemModel>(PhiloxGenerator& gen)> make_model;
  // Loads (or generates) the data set for the run.
  std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig& config)> make_data;
};

// All problems, in DeepOBS's order of `deepobs list`.
const std::vector<ProblemEntry>& problem_registry();

// The entry of `name`; throws deepobs::Error "unknown test problem 'x'" with the closest names and
// the hint to run `deepobs list`.
const ProblemEntry& find_problem(std::string_view name);

// Builds model and data for a run: parameters from PhiloxGenerator(seed, Init) on the CPU, then
// moved to config.device (move_model_to); data shuffled from the seed's Shuffle streams in
// config.data_order and held on config.device; weight decay = config.weight_decay or the problem's
// default.
std::unique_ptr<Problem> build_problem(std::string_view name, const ProblemConfig& config);

}  // namespace deepobs::problems
