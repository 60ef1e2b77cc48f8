// Everything one run produces, and its DeepOBS result file (SPEC A.9, §6.2, §6.3).
//
// The JSON is a superset: every DeepOBS v1.1 key (so the v1.1 analyzer and the published baselines
// line up), every v1.2 key (so the v1.2 analyzer's check_output accepts it), and our own keys for
// what DeepOBS never recorded (timing, memory, divergence, data variant, fingerprint).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runner/run_naming.h"

namespace deepobs::runner {

// Summary statistics of per-step wall-clock times, in seconds.
struct StepTimeStats {
  std::int64_t steps = 0;
  double mean = 0, median = 0, p90 = 0, min = 0, max = 0;
};

struct RunRecord {
  std::string testproblem;
  std::string optimizer;  // DeepOBS class name, e.g. "MomentumOptimizer"
  RunSetting setting;     // batch size, epochs, weight decay, lr, schedule, hyperparameters
  int random_seed = 42;
  int train_log_interval = 10;

  // Evaluations before training and after every epoch: num_epochs + 1 entries each.
  std::vector<double> train_losses, test_losses, valid_losses;
  std::vector<double> train_accuracies, test_accuracies, valid_accuracies;
  bool has_accuracy = false;
  bool has_validation = false;  // a v1.2 validation split was carved out (--validation)
  std::vector<double> minibatch_train_losses;

  bool diverged = false;
  // Which data and quirks the run used (SPEC A.4, A.5): the data set, then ':'-separated quirks
  // and key=value settings, always ending in the data order, e.g. "fmnist:data_order=tf1" or
  // "cifar100:offset=legacy:data_order=reshuffle" (runner::run_data_variant).
  std::string data_variant;
  std::string device;                 // "cpu" or "cuda:0"
  std::vector<double> epoch_seconds;  // wall-clock seconds of each training epoch
  double total_seconds = 0;
  StepTimeStats step_time;
  std::int64_t peak_memory_bytes = 0;
  nlohmann::ordered_json
      fingerprint;               // host, CPU, GPU, driver, CUDA, cuDNN, build, commit, version
  nlohmann::ordered_json extra;  // further run facts (e.g. cuDNN algorithms, policies)

  // Set when the optimizer stopped the run with an error status (TrainOutcome::StoppedByOptimizer):
  // "optimizer <id>: <message>" and the status name (e.g. "numerical failure").
  std::string stop_message;
  std::string stop_status;
};

inline constexpr int kResultSchemaVersion = 1;

// The result JSON object. Without a validation split the v1.2 keys valid_* repeat the test
// values (DeepOBS v1.1 selected settings on the test set) and "valid_is_test" says so.
// Throws deepobs::Error if a curve's length differs from num_epochs + 1.
nlohmann::ordered_json result_json(const RunRecord& r);

// The record of a run the optimizer stopped (RunRecord::stop_message set): "status":
// "stopped_by_optimizer", the message, the setting, and the curves as far as they got (one entry
// per evaluation done: epochs_completed + 1, or fewer), plus our timing and extra keys. Not a
// DeepOBS result (its curves are short, which would break the analyzers), so the runner writes it
// to a separate file that does not end in ".json" (run_command.h).
nlohmann::ordered_json partial_result_json(const RunRecord& r);

}  // namespace deepobs::runner
