// DeepOBS v1.1 result-file layout (SPEC §6.1):
//   <output_dir>/<problem>/<OptimizerName>/<setting folder>/random_seed__<seed>__<time>.json
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace deepobs::runner {

// An optimizer hyperparameter's value as it appears in names and JSON (std::string: an enum
// hyperparameter's choice).
using HyperValue = std::variant<double, std::int64_t, bool, std::string>;

struct RunSetting {
  int num_epochs = 0;
  int batch_size = 0;
  std::optional<double> weight_decay;  // only when given explicitly (else the problem default)
  double learning_rate = 0;
  std::vector<int> lr_sched_epochs;      // empty: constant learning rate
  std::vector<double> lr_sched_factors;  // absolute factors, same length as the epochs
  std::vector<std::pair<std::string, HyperValue>> hyperparams;  // excluding the learning rate
};

// A hyperparameter value as DeepOBS prints it in names: floats via float2str, bools as Python's
// "True"/"False", integers in decimal, enum choices as their text.
std::string hyper_value_str(const HyperValue& v);

// The v1.1 setting folder, e.g.
// "num_epochs__100__batch_size__128__momentum__9.9e-01__use_nesterov__False__lr__3.9810717055e-04".
// Hyperparameters appear in alphabetical order whatever their order in `s`.
std::string setting_folder_name(const RunSetting& s);

// "random_seed__42__2026-11-24-06-19-02.json" for the given local time.
std::string result_file_name(int random_seed, std::time_t when);

// "random_seed__42__2026-11-24-06-19-02.json.partial": where the record of a run the optimizer
// stopped goes, next to where its result would have gone. Deliberately not ending in ".json": the
// analyzers read every *.json of a setting folder, and a short curve breaks them.
std::string partial_result_file_name(int random_seed, std::time_t when);

}  // namespace deepobs::runner
