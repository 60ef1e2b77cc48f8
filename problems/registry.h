// The test-problem registry: every problem's description and how to build it.
//
// A problem lives in one file: problems/<family>.cpp holds the model of an architecture family
// and the entries of its problems (problems/mlp.cpp: mnist_mlp and fmnist_mlp), appended by the
// family's add_*_problems function declared below. The list of families is explicit (no static
// self-registration, which a static library's linker may silently drop): adding a problem edits
// its family's file only; adding a family adds its function here and its call in registry.cpp.
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
  // Builds the network, drawing its initial parameters from `gen` (the run's init stream; its
  // seed is the run seed).
  std::function<std::unique_ptr<ProblemModel>(PhiloxGenerator& gen)> make_model;
  // Loads (or generates) the data set for the run.
  std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig& config)> make_data;
};

// The families, in the order of `deepobs list`.
void add_logreg_problems(std::vector<ProblemEntry>& registry);          // logreg.cpp
void add_mlp_problems(std::vector<ProblemEntry>& registry);             // mlp.cpp
void add_2c2d_problems(std::vector<ProblemEntry>& registry);            // 2c2d.cpp
void add_vae_problems(std::vector<ProblemEntry>& registry);             // vae.cpp
void add_quadratic_deep_problems(std::vector<ProblemEntry>& registry);  // quadratic_deep.cpp
void add_two_d_problems(std::vector<ProblemEntry>& registry);           // two_d.cpp
void add_3c3d_problems(std::vector<ProblemEntry>& registry);            // 3c3d.cpp
void add_allcnnc_problems(std::vector<ProblemEntry>& registry);         // allcnnc.cpp
void add_vgg_problems(std::vector<ProblemEntry>& registry);             // vgg.cpp
void add_wrn_problems(std::vector<ProblemEntry>& registry);             // wrn.cpp
void add_char_rnn_problems(std::vector<ProblemEntry>& registry);        // char_rnn.cpp
void add_inception_v3_problems(std::vector<ProblemEntry>& registry);    // inception_v3.cpp

// The Hessian Q = Rᵀ·diag(λ)·R of quadratic_deep, 100×100 row-major in double, from numpy's
// RandomState(42) exactly as DeepOBS draws it (quadratic_deep.cpp; tested against DeepOBS).
std::vector<double> quadratic_deep_hessian();

// All problems.
const std::vector<ProblemEntry>& problem_registry();

// The entry of `name`; throws deepobs::Error "unknown test problem 'x'" with the closest names and
// the hint to run `deepobs list`.
const ProblemEntry& find_problem(std::string_view name);

// Builds model and data for a run: parameters from PhiloxGenerator(seed, Init) on the CPU, then
// moved to config.device (Module::to) and packed (Problem::flat); data shuffled from the seed's
// Shuffle streams in config.data_order and held on config.device; weight decay =
// config.weight_decay or the problem's
// default.
std::unique_ptr<Problem> build_problem(std::string_view name, const ProblemConfig& config);

}  // namespace deepobs::problems
