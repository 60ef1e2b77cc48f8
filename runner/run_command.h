// `deepobs run <problem> --optimizer <name> --lr <x> [...]`: parses DeepOBS's command line (SPEC
// §5.1 flag names plus ours), trains, and writes the result file.
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "datasets/image_records.h"
#include "runner/cuda_graph_policy.h"

namespace deepobs::runner {

struct RunOptions {
  std::string problem;
  std::string optimizer;
  std::optional<double> learning_rate;
  std::optional<int> batch_size, num_epochs;
  int random_seed = 42;
  std::optional<double> weight_decay;
  std::vector<int> lr_sched_epochs;
  std::vector<double> lr_sched_factors;
  int train_log_interval = 10;
  bool print_train_iter = false;
  std::string data_dir;
  std::string output_dir = "results";
  bool no_logs = false;
  bool validation = false;
  datasets::DataOrder data_order = datasets::DataOrder::Tf1;  // --data_order (SPEC A.5)
  // --cifar100_offset / --svhn_train (SPEC A.4); unset: DeepOBS 1.1's choice. Only for problems
  // on that data set.
  std::optional<datasets::Cifar100Offset> cifar100_offset;
  std::optional<datasets::SvhnTrain> svhn_train;
  // --data_sizes any: MNIST-format/CIFAR/SVHN files of any whole number of examples (fixtures,
  // subsets) instead of DeepOBS's counts; recorded as ":sizes=any" in data_variant.
  bool any_data_sizes = false;
  std::string device = "auto";
  bool deterministic = false;  // cuDNN restricted to deterministic algorithms: bit-identical reruns
  bool tf32 = false;           // allow TF32 tensor cores for f32 GEMM/conv (default strict FP32)
  // --cuda_graph: replay the training step from a CUDA graph on a GPU (runner/step_graph.h).
  CudaGraphMode cuda_graph = CudaGraphMode::Auto;
  bool quiet = false;
  std::map<std::string, std::string> hyperparameters;  // as given: --momentum 0.9, --hp a=b
};

// Parses argv of `deepobs run` (argv[0] = "run"). Returns nullopt after printing the help when
// --help was given; throws deepobs::Error with a one-line message for any usage error (unknown
// flag with the closest match, missing value, malformed number, missing --optimizer/--lr).
std::optional<RunOptions> parse_run_options(int argc, const char* const* argv, std::ostream& out);

// The data_variant a run records: the problem's data set with the choices of --cifar100_offset,
// --svhn_train and --data_sizes (datasets::image_data_variant) and ":data_order=<tf1|reshuffle>",
// e.g. "cifar100:offset=legacy:data_order=tf1". Throws deepobs::Error when one of those flags was
// given for a problem on another data set.
std::string run_data_variant(const RunOptions& options, const std::string& problem_data_variant);

// Exit code when the optimizer stopped the run with an error status (a plugin's step returned
// something other than DEEPOBS_STATUS_OK): the message "optimizer <id>: <its message>" goes to
// stderr and the results so far to <setting folder>/<result name>.json.partial
// (partial_result_file_name, partial_result_json) unless --no_logs; no DeepOBS result file is
// written.
inline constexpr int kExitStoppedByOptimizer = 3;

// Runs the command; returns the process exit code (0 done, 1 error, 2 usage, 3 stopped by the
// optimizer, 130 interrupted).
int run_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace deepobs::runner
