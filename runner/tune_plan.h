// What `deepobs tune` runs: its options, the settings of the search space and, for each setting
// and seed, one ordinary `deepobs run` (SPEC §8.1 protocol, §9 tuners).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "runner/tune_space.h"

namespace deepobs::runner {

enum class TuneStrategy { Grid, Random };
enum class ExecutorKind { Local, Slurm };

// Resources of the Slurm array tasks (`sbatch` options; empty: Slurm's default).
struct SlurmResources {
  std::string partition, account, time = "01:00:00", mem;
  int cpus = 1;                    // --cpus-per-task; also each run's compute threads
  std::string gres;                // e.g. "gpu:1"
  std::vector<std::string> extra;  // --slurm_opt: further "#SBATCH" lines, e.g. "--qos=short"
};

struct TuneOptions {
  std::string problem;
  std::string optimizer;                 // as given (a name, an alias or a plugin path)
  std::vector<std::string> space_specs;  // the --space texts
  TuneStrategy strategy = TuneStrategy::Grid;
  std::int64_t budget = 0;    // 0: not given
  int seeds = 1;              // tuning seeds per setting: random_seed … random_seed + seeds − 1
  int rerun_best_seeds = 10;  // seeds of the chosen setting in all (the tuning ones included)
  int random_seed = 42;       // first seed of every run; also seeds the random search
  std::string mode = "final";  // the analyzer's selection mode: final or best
  std::string metric;          // the analyzer's selection metric; empty: its default
  ExecutorKind executor = ExecutorKind::Local;
  int local_jobs = 1;  // local:J
  SlurmResources slurm;
  bool wait = false;  // slurm: wait for each array, then go on to the next phase
  std::string output_dir = "results";
  bool dry_run = false;
  bool status = false;
  bool quiet = false;
  // Every other argument, passed unchanged to each `deepobs run` (--num_epochs, --bs, --data_dir,
  // --device, --hp name=value, a fixed --momentum 0.99, ...).
  std::vector<std::string> run_args;
};

// Parses argv of `deepobs tune` (argv[0] = "tune", argv[1] the test problem). Returns nullopt
// after printing the help. Throws deepobs::Error with one line for a usage error.
std::optional<TuneOptions> parse_tune_options(int argc, const char* const* argv, std::ostream& out);

// One `deepobs run` of the tune.
struct PlannedRun {
  std::size_t setting = 0;  // index into TunePlan::points
  int seed = 0;
  std::vector<std::string> args;  // run_arguments(...)
  std::filesystem::path folder;   // where its result file goes
  bool done = false;              // a result file for this seed is already there
};

struct TunePlan {
  std::string problem;         // canonical name
  std::string optimizer_name;  // the result tree's optimizer folder, e.g. "MomentumOptimizer"
  std::vector<SearchAxis> axes;
  std::vector<SearchPoint> points;             // distinct settings, in search order
  std::vector<std::filesystem::path> folders;  // the setting folder of each point
  std::vector<int> tuning_seeds;
  std::vector<int> rerun_seeds;    // the chosen setting's seeds (tuning seeds included)
  std::filesystem::path tune_dir;  // <output_dir>/.tune/<problem>__<optimizer>: scripts, logs
};

// Parses the space, draws the settings and checks every one (as `deepobs run` would parse it,
// with its hyperparameters resolved), before anything runs. Throws deepobs::Error naming the
// setting and the fix.
TunePlan make_tune_plan(const TuneOptions& options);

// THE command line of one run, after the program name: "run <problem> --optimizer X --lr v
// [--hp name=v ...] --random_seed s --output_dir D <run_args...> --quiet". Both executors use it
// (local: as argv; Slurm: shell-quoted in the array script), so a flag added here (e.g. --resume)
// reaches every run.
std::vector<std::string> run_arguments(const TuneOptions& options, const SearchPoint& point,
                                       int seed);

// The runs of `setting` for `seeds`, each with its result folder and whether it is done.
std::vector<PlannedRun> planned_runs(const TuneOptions& options, const TunePlan& plan,
                                     std::size_t setting, const std::vector<int>& seeds);

// Whether <folder> holds a result file random_seed__<seed>__*.json (".partial" files do not count).
bool has_result(const std::filesystem::path& folder, int seed);

// "lr=0.001, momentum=0.9" for progress lines and reports.
std::string point_label(const SearchPoint& point);

}  // namespace deepobs::runner
