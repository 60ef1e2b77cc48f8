#include "runner/tune_plan.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "optimizers/registry.h"
#include "problems/registry.h"
#include "runner/run_command.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

bool given_in_run_args(const TuneOptions& o, const std::vector<std::string>& spellings) {
  return std::any_of(o.run_args.begin(), o.run_args.end(), [&](const std::string& a) {
    const std::string name = a.substr(0, a.find('='));
    return std::find(spellings.begin(), spellings.end(), name) != spellings.end();
  });
}

// `deepobs run`'s options for one run, parsed exactly as the run will parse them.
RunOptions parsed_run(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream help;
  auto parsed = parse_run_options(static_cast<int>(argv.size()), argv.data(), help);
  DEEPOBS_CHECK(parsed, "--help is not a run option here; see 'deepobs tune --help'");
  return *parsed;
}

}  // namespace

std::string point_label(const SearchPoint& point) {
  std::string s;
  for (const auto& [name, value] : point)
    s += (s.empty() ? "" : ", ") + name + "=" + value;
  return s;
}

std::vector<std::string> run_arguments(const TuneOptions& o, const SearchPoint& point, int seed) {
  std::vector<std::string> args = {"run", o.problem, "--optimizer", o.optimizer};
  for (const auto& [name, value] : point) {
    if (name == "lr") {
      args.insert(args.end(), {"--lr", value});
    } else {
      args.insert(args.end(), {"--hp", name + "=" + value});
    }
  }
  args.insert(args.end(), {"--random_seed", std::to_string(seed), "--output_dir", o.output_dir});
  args.insert(args.end(), o.run_args.begin(), o.run_args.end());
  // A run killed midway (a Slurm preemption or time-out, Ctrl-C, a crash) continues from its last
  // epoch checkpoint when the task is requeued or the tune re-issued.
  args.push_back("--resume");
  args.push_back("--quiet");
  return args;
}

bool has_result(const fs::path& folder, int seed) {
  std::error_code ec;
  const std::string prefix = "random_seed__" + std::to_string(seed) + "__";
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.size() > 5 && name.substr(name.size() - 5) == ".json" &&
        e.is_regular_file(ec))
      return true;
  }
  return false;
}

std::vector<PlannedRun> planned_runs(const TuneOptions& o, const TunePlan& plan,
                                     std::size_t setting, const std::vector<int>& seeds) {
  std::vector<PlannedRun> runs;
  for (int seed : seeds) {
    PlannedRun r;
    r.setting = setting;
    r.seed = seed;
    r.args = run_arguments(o, plan.points[setting], seed);
    r.folder = plan.folders[setting];
    r.done = has_result(r.folder, seed);
    runs.push_back(std::move(r));
  }
  return runs;
}

TunePlan make_tune_plan(const TuneOptions& o) {
  TunePlan plan;
  plan.problem = problems::find_problem(o.problem).info.name;
  const OptimizerInfo& info = find_optimizer(o.optimizer);
  plan.optimizer_name = info.name;
  for (const auto& spec : o.space_specs) {
    SearchAxis axis = parse_search_axis(spec, info);
    for (const auto& a : plan.axes)
      DEEPOBS_CHECK(a.name != axis.name, "--space: ", axis.name,
                    " is given twice; one --space per hyperparameter");
    if (axis.name == "lr")
      DEEPOBS_CHECK(!given_in_run_args(o, {"--lr", "--learning_rate"}),
                    "--lr is given as well as --space lr=...; drop one");
    else
      DEEPOBS_CHECK(!given_in_run_args(o, {"--" + axis.name}), "--", axis.name,
                    " is given as well as --space ", axis.name, "=...; drop one");
    plan.axes.push_back(std::move(axis));
  }
  const std::vector<SearchPoint> drawn =
      o.strategy == TuneStrategy::Grid
          ? grid_points(plan.axes, o.budget)
          : random_points(plan.axes, o.budget, static_cast<std::uint64_t>(o.random_seed));
  for (int k = 0; k < o.seeds; ++k)
    plan.tuning_seeds.push_back(o.random_seed + k);
  for (int k = 0; k < std::max(o.rerun_best_seeds, o.seeds); ++k)
    plan.rerun_seeds.push_back(o.random_seed + k);

  // Check each setting as its run will, and keep distinct result folders only (a random search
  // over cat axes can draw one setting twice).
  for (const auto& point : drawn) {
    RunOptions run;
    try {
      run = parsed_run(run_arguments(o, point, o.random_seed));
      const fs::path folder = run_result_folder(run);
      if (std::find(plan.folders.begin(), plan.folders.end(), folder) != plan.folders.end())
        continue;
      plan.points.push_back(point);
      plan.folders.push_back(folder);
    } catch (const Error& e) {
      throw Error(cat("setting ", point_label(point), ": ", e.what()));
    }
  }
  plan.tune_dir = fs::path(o.output_dir) / ".tune" / (plan.problem + "__" + plan.optimizer_name);
  return plan;
}

}  // namespace deepobs::runner
