// Parsing of `deepobs tune`'s command line (declared in runner/tune_plan.h). Hand-written rather
// than cxxopts: every argument tune does not know goes unchanged to each `deepobs run`, which
// checks it (make_tune_plan parses one run's command line before anything starts).
#include <algorithm>
#include <cstring>
#include <map>

#include "core/error.h"
#include "runner/parse_integer.h"
#include "runner/tune_plan.h"

namespace deepobs::runner {
namespace {

constexpr const char* kHelp =
    "usage: deepobs tune <test_problem> --optimizer X --space SPEC [--space SPEC ...] [options]\n"
    "       [any 'deepobs run' option, passed to every run: -N/--num_epochs, --bs, --data_dir,\n"
    "        --device, --hp name=value, a fixed --momentum 0.99, ...]\n"
    "\n"
    "Tunes an optimizer the DeepOBS way: every setting of the space trained with the tuning\n"
    "seed(s), the best one picked by the analyzer's rule (mode final or best; test accuracy, or\n"
    "test loss for loss-only problems), then rerun until it has --rerun_best_seeds seeds. Every\n"
    "run is an ordinary 'deepobs run' into the result tree; a run whose result file exists is\n"
    "skipped, so re-issuing the same command continues an interrupted tune.\n"
    "\n"
    "search space:\n"
    "  --space SPEC          name=log:min:max[:count] (log-spaced), name=lin:min:max[:count] or\n"
    "                        name=cat:a,b,c; name is lr or one of the optimizer's "
    "hyperparameters;\n"
    "                        count is needed by the grid only. Repeatable.\n"
    "  --strategy S          grid (the full product; default) or random (--budget draws)\n"
    "  --budget N            random: the number of settings; grid: the most it may have\n"
    "  --seeds K             tuning seeds per setting (default 1)\n"
    "  --rerun_best_seeds M  seeds of the chosen setting in all (default 10; 0 or 1: no rerun)\n"
    "  -r, --random_seed S   the first seed of every run and the random search's seed (default "
    "42)\n"
    "  --mode M              how the best setting is picked: final (default) or best\n"
    "  --metric K            selection metric (default: test_accuracies, else test_losses)\n"
    "\n"
    "execution:\n"
    "  --executor E          local[:J] (J runs side by side, the CPU threads divided among them;\n"
    "                        default local:1) or slurm (one sbatch job array per phase)\n"
    "  --output_dir D        the result tree (default results); scripts and logs go to\n"
    "                        D/.tune/<problem>__<optimizer>/\n"
    "  --dry-run             print the runs (local) or the array script (slurm); run nothing\n"
    "  --status              progress from the result tree (and squeue/sacct for Slurm jobs)\n"
    "  --wait                slurm: wait for the array, then pick and submit the rerun array\n"
    "  -q, --quiet           no progress lines\n"
    "\n"
    "slurm (each array task is one run):\n"
    "  --slurm_partition P, --slurm_account A, --slurm_time T (default 01:00:00),\n"
    "  --slurm_cpus C (default 1; also the run's threads), --slurm_mem M, --slurm_gres G,\n"
    "  --slurm_opt X (a further #SBATCH option, repeatable)\n";

// Options of tune that take a value, by every spelling, mapped to one key.
const std::map<std::string, std::string>& value_flags() {
  static const std::map<std::string, std::string> flags = {
      {"--optimizer", "optimizer"},
      {"-o", "optimizer"},
      {"--space", "space"},
      {"--strategy", "strategy"},
      {"--budget", "budget"},
      {"--seeds", "seeds"},
      {"--rerun_best_seeds", "rerun_best_seeds"},
      {"--random_seed", "random_seed"},
      {"-r", "random_seed"},
      {"--mode", "mode"},
      {"--metric", "metric"},
      {"--executor", "executor"},
      {"--output_dir", "output_dir"},
      {"--slurm_partition", "slurm_partition"},
      {"--slurm_account", "slurm_account"},
      {"--slurm_time", "slurm_time"},
      {"--slurm_cpus", "slurm_cpus"},
      {"--slurm_mem", "slurm_mem"},
      {"--slurm_gres", "slurm_gres"},
      {"--slurm_opt", "slurm_opt"}};
  return flags;
}

long long parse_int(const std::string& flag, const std::string& text, long long min) {
  const std::optional<long long> v = parse_integer(text);
  DEEPOBS_CHECK(v.has_value(), "--", flag, ": '", text, "' is not an integer");
  DEEPOBS_CHECK(*v >= min && *v <= 2147483647LL, "--", flag, " must be at least ", min, ", got ",
                text);
  return *v;
}

// "local", "local:4" or "slurm".
void parse_executor(const std::string& text, TuneOptions& o) {
  if (text == "slurm") {
    o.executor = ExecutorKind::Slurm;
    return;
  }
  DEEPOBS_CHECK(text == "local" || text.rfind("local:", 0) == 0, "--executor: unknown executor '",
                text, "' (local, local:J for J runs side by side, or slurm)");
  o.executor = ExecutorKind::Local;
  if (text.size() > 6)
    o.local_jobs = static_cast<int>(parse_int("executor local:J", text.substr(6), 1));
}

}  // namespace

std::optional<TuneOptions> parse_tune_options(int argc, const char* const* argv,
                                              std::ostream& out) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      out << kHelp;
      return std::nullopt;
    }
  DEEPOBS_CHECK(argc >= 2 && argv[1][0] != '-',
                "the test problem comes first: 'deepobs tune quadratic_deep --optimizer sgd "
                "--space lr=log:1e-5:1e2:36'; see 'deepobs tune --help'");
  TuneOptions o;
  o.problem = argv[1];
  std::map<std::string, std::string> given;  // key → last value (space and slurm_opt: all)
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--dry-run" || arg == "--dry_run") {
      o.dry_run = true;
      continue;
    }
    if (arg == "--status") {
      o.status = true;
      continue;
    }
    if (arg == "--wait") {
      o.wait = true;
      continue;
    }
    if (arg == "--quiet" || arg == "-q") {
      o.quiet = true;
      continue;
    }
    std::string value;
    const auto eq = arg.find('=');
    const std::string name =
        arg.rfind("--", 0) == 0 && eq != std::string::npos ? arg.substr(0, eq) : arg;
    const auto it = value_flags().find(name);
    if (it == value_flags().end()) {
      DEEPOBS_CHECK(name != "--no_logs", "--no_logs: tune needs each run's result file");
      o.run_args.push_back(arg);  // a `deepobs run` option (or its value): passed on
      continue;
    }
    if (eq != std::string::npos && name.size() < arg.size()) {
      value = arg.substr(eq + 1);
    } else {
      DEEPOBS_CHECK(i + 1 < argc, name, " needs a value; see 'deepobs tune --help'");
      value = argv[++i];
    }
    const std::string& key = it->second;
    if (key == "space")
      o.space_specs.push_back(value);
    else if (key == "slurm_opt")
      o.slurm.extra.push_back(value);
    else
      given[key] = value;
  }
  DEEPOBS_CHECK(given.count("optimizer"),
                "missing --optimizer (e.g. sgd, momentum, adam or a "
                "plugin .so); see 'deepobs tune --help'");
  o.optimizer = given["optimizer"];
  DEEPOBS_CHECK(
      !o.space_specs.empty(),
      "missing --space, e.g. --space 'lr=log:1e-5:1e2:36' (DeepOBS's learning-rate grid)");
  if (given.count("strategy")) {
    const std::string& s = given["strategy"];
    DEEPOBS_CHECK(s == "grid" || s == "random", "--strategy: unknown strategy '", s,
                  "' (grid or random)");
    o.strategy = s == "grid" ? TuneStrategy::Grid : TuneStrategy::Random;
  }
  if (given.count("budget")) o.budget = parse_int("budget", given["budget"], 1);
  if (given.count("seeds")) o.seeds = static_cast<int>(parse_int("seeds", given["seeds"], 1));
  if (given.count("rerun_best_seeds"))
    o.rerun_best_seeds =
        static_cast<int>(parse_int("rerun_best_seeds", given["rerun_best_seeds"], 0));
  if (given.count("random_seed"))
    o.random_seed = static_cast<int>(parse_int("random_seed", given["random_seed"], 0));
  if (given.count("mode")) {
    o.mode = given["mode"];
    DEEPOBS_CHECK(o.mode == "final" || o.mode == "best", "--mode: unknown mode '", o.mode,
                  "' (final or best; 'most' needs the reruns it is meant to choose)");
  }
  if (given.count("metric")) o.metric = given["metric"];
  if (given.count("executor")) parse_executor(given["executor"], o);
  if (given.count("output_dir")) o.output_dir = given["output_dir"];
  DEEPOBS_CHECK(!o.output_dir.empty(), "--output_dir is empty; name a folder for the result tree");
  if (given.count("slurm_partition")) o.slurm.partition = given["slurm_partition"];
  if (given.count("slurm_account")) o.slurm.account = given["slurm_account"];
  if (given.count("slurm_time")) o.slurm.time = given["slurm_time"];
  if (given.count("slurm_mem")) o.slurm.mem = given["slurm_mem"];
  if (given.count("slurm_gres")) o.slurm.gres = given["slurm_gres"];
  if (given.count("slurm_cpus"))
    o.slurm.cpus = static_cast<int>(parse_int("slurm_cpus", given["slurm_cpus"], 1));
  const bool slurm_flag = std::any_of(
      given.begin(), given.end(), [](const auto& kv) { return kv.first.rfind("slurm_", 0) == 0; });
  DEEPOBS_CHECK(
      !(slurm_flag || !o.slurm.extra.empty() || o.wait) || o.executor == ExecutorKind::Slurm,
      "--slurm_* and --wait apply to --executor slurm only");
  DEEPOBS_CHECK(!(o.dry_run && o.status), "give either --dry-run or --status, not both");
  return o;
}

}  // namespace deepobs::runner
