// `deepobs run <problem> --optimizer <name> --lr <x> [...]`: parses DeepOBS's command line (SPEC
// §5.1 flag names plus ours), trains, and writes the result file.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "datasets/image_records.h"
#include "optimizers/optimizer.h"
#include "problems/problem.h"
#include "runner/cuda_graph_policy.h"
#include "runner/run_naming.h"

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
  // --resume: write a checkpoint at every epoch boundary and continue from it when it exists
  // (runner/checkpoint.h); --discard_corrupt_checkpoint: with --resume, move a corrupt one aside
  // to <name>.corrupt and start fresh instead of refusing; --keep_checkpoint: keep the last one
  // when the run finishes.
  bool resume = false;
  bool discard_corrupt_checkpoint = false;
  bool keep_checkpoint = false;
  std::map<std::string, std::string> hyperparameters;  // as given: --momentum 0.9, --hp a=b
};

// Parses argv of `deepobs run` (argv[0] = "run"). Returns nullopt after printing the help when
// --help was given; throws deepobs::Error with a one-line message for any usage error (unknown
// flag with the closest match, missing value, malformed number, missing --optimizer/--lr).
std::optional<RunOptions> parse_run_options(int argc, const char* const* argv, std::ostream& out);

// The setting a run records and names its folder after: the problem's default batch size and
// epochs and the optimizer's defaults filled in. Throws deepobs::Error for an unknown problem or
// optimizer and for a missing, malformed or out-of-range hyperparameter.
RunSetting run_setting(const RunOptions& options);

// <output_dir>/<problem>/<OptimizerName>/<setting folder>: where the run's result file goes (what
// `deepobs tune` looks at to skip runs already done).
std::filesystem::path run_result_folder(const RunOptions& options);

// The data_variant a run records: the problem's data set with the choices of --cifar100_offset,
// --svhn_train and --data_sizes (datasets::image_data_variant) and ":data_order=<tf1|reshuffle>",
// e.g. "cifar100:offset=legacy:data_order=tf1". Throws deepobs::Error when one of those flags was
// given for a problem on another data set.
std::string run_data_variant(const RunOptions& options, const std::string& problem_data_variant);

// The problem configuration and the facts handed to the optimizer that `deepobs run` derives
// from its options (`deepobs profile` builds its run the same way).
problems::ProblemConfig run_problem_config(const RunOptions& options, Device device,
                                           int batch_size);
ProblemFacts run_problem_facts(const RunOptions& options, problems::Problem& problem,
                               int batch_size, int num_epochs);

// Exit code when the optimizer stopped the run with an error status (a plugin's step returned
// something other than DEEPOBS_STATUS_OK): the message "optimizer <id>: <its message>" goes to
// stderr and the results so far to <setting folder>/<result name>.json.partial
// (partial_result_file_name, partial_result_json) unless --no_logs; no DeepOBS result file is
// written.
inline constexpr int kExitStoppedByOptimizer = 3;

// Exit code of a --resume run stopped by SIGTERM (Slurm's preemption and time-out signal) or
// SIGINT: its last epoch-boundary checkpoint is on disk and the same command continues it (a run
// stopped in its first epoch has none and starts over). 75 is sysexits' EX_TEMPFAIL.
inline constexpr int kExitResumable = 75;

// "random_seed__42.checkpoint": the checkpoint of a --resume run, in its setting folder next to
// where its result file goes (not ending in ".json": the analyzers ignore it).
std::string checkpoint_file_name(int random_seed);

// Runs the command; returns the process exit code (0 done, 1 error, 2 usage, 3 stopped by the
// optimizer, 75 stopped by a signal with --resume, 130 interrupted).
int run_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace deepobs::runner
