#include "runner/tune_command.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/build_info.h"
#include "core/error.h"
#include "runner/analyzer_command.h"
#include "runner/atomic_file.h"
#include "runner/local_executor.h"
#include "runner/slurm_executor.h"
#include "runner/tune_plan.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

enum class PhaseOutcome { Done, Pending, Failed };

std::vector<PlannedRun> tuning_runs(const TuneOptions& o, const TunePlan& plan) {
  std::vector<PlannedRun> runs;
  for (std::size_t i = 0; i < plan.points.size(); ++i)
    for (auto& r : planned_runs(o, plan, i, plan.tuning_seeds))
      runs.push_back(std::move(r));
  return runs;
}

std::vector<PlannedRun> missing_runs(const std::vector<PlannedRun>& runs) {
  std::vector<PlannedRun> missing;
  std::copy_if(runs.begin(), runs.end(), std::back_inserter(missing),
               [](const PlannedRun& r) { return !has_result(r.folder, r.seed); });
  return missing;
}

std::string run_label(const TunePlan& plan, const PlannedRun& r) {
  return point_label(plan.points[r.setting]) + ", seed " + std::to_string(r.seed);
}

std::string job_log(const TunePlan& plan, const std::string& phase, const std::string& id,
                    std::size_t task) {
  return (fs::absolute(plan.tune_dir) /
          ("slurm_" + phase + "_" + id + "_" + std::to_string(task) + ".log"))
      .string();
}

// The runs that should exist after a phase and do not, each named with its log.
bool report_missing(const TunePlan& plan, const std::vector<PlannedRun>& wanted,
                    const std::vector<std::string>& logs, std::ostream& err) {
  bool all = true;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (has_result(wanted[i].folder, wanted[i].seed)) continue;
    all = false;
    err << "deepobs tune: no result for " << run_label(plan, wanted[i]) << "; see " << logs[i]
        << "\n";
  }
  return all;
}

void wait_for_job(const std::string& id, bool quiet, std::ostream& err) {
  for (int polls = 0;; ++polls) {
    const auto queued = queued_tasks(id);
    DEEPOBS_CHECK(queued, "cannot run squeue to follow job ", id);
    if (queued->empty()) return;
    // A task whose launch failed is held in the queue for ever: waiting would never end.
    const ProgramOutput reasons = run_program({"squeue", "-h", "-r", "-j", id, "-o", "%r"});
    DEEPOBS_CHECK(reasons.out.find("held") == std::string::npos, "job ", id, ": tasks are held (",
                  reasons.out.substr(0, reasons.out.find('\n')),
                  "); see the slurmd log, fix the cause and 'scontrol release ", id,
                  "', then issue this command again");
    if (!quiet && polls % 30 == 0) {
      err << "deepobs tune: waiting for job " << id << ":";
      for (const auto& s : *queued)
        err << " " << s;
      err << "\n";
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
}

PhaseOutcome run_local(const TuneOptions& o, const TunePlan& plan, const std::string& phase,
                       const std::vector<PlannedRun>& todo, std::ostream& out, std::ostream& err) {
  const std::string binary = deepobs_binary();
  const std::vector<int> threads = divide_threads(build_info().cpu_threads, o.local_jobs);
  if (o.dry_run) {
    out << "# " << phase << ": " << todo.size() << " run(s) to do, " << threads.size()
        << " at a time (threads each: " << threads.front()
        << (threads.back() != threads.front() ? " or " + std::to_string(threads.back()) : "")
        << ")\n";
    for (const auto& r : todo) {
      out << shell_quote(binary);
      for (const auto& a : r.args)
        out << " " << shell_quote(a);
      out << "\n";
    }
    return PhaseOutcome::Pending;
  }
  std::vector<ChildRun> children;
  std::vector<std::string> logs;
  for (const auto& r : todo) {
    const fs::path log = plan.tune_dir / (phase + "_setting" + std::to_string(r.setting) + "_seed" +
                                          std::to_string(r.seed) + ".log");
    children.push_back({r.args, log, run_label(plan, r)});
    logs.push_back(log.string());
  }
  if (!o.quiet)
    err << "deepobs tune: " << phase << " phase, " << todo.size() << " run(s), " << threads.size()
        << " at a time\n";
  const auto results = run_children(binary, children, o.local_jobs, build_info().cpu_threads,
                                    o.quiet ? nullptr : &err);
  for (const auto& r : results)
    DEEPOBS_CHECK(r.exit_code != 130, "interrupted; issue the same command again to continue");
  return report_missing(plan, todo, logs, err) ? PhaseOutcome::Done : PhaseOutcome::Failed;
}

PhaseOutcome run_slurm(const TuneOptions& o, const TunePlan& plan, const std::string& phase,
                       const std::vector<PlannedRun>& todo, std::ostream& out, std::ostream& err) {
  const std::string script =
      slurm_array_script(o, plan, todo, phase, deepobs_binary(), fs::current_path());
  if (o.dry_run) {
    out << script;
    return PhaseOutcome::Pending;
  }
  // An array of this phase still in the queue covers these runs: do not submit them twice.
  const auto jobs = submitted_jobs(plan, phase);
  std::string id;
  if (!jobs.empty()) {
    const auto queued = queued_tasks(jobs.back());
    if (queued && !queued->empty()) {
      id = jobs.back();
      err << "deepobs tune: job " << id << " (" << phase << ") is still in the queue; not "
          << "submitting again\n";
    }
  }
  if (id.empty()) {
    id = submit_array(plan, phase, script);
    out << id << "\n";
    if (!o.quiet)
      err << "deepobs tune: submitted the " << phase << " array, job " << id << ", " << todo.size()
          << " task(s); logs in " << fs::absolute(plan.tune_dir).string() << "\n";
  }
  if (!o.wait) {
    if (!o.quiet)
      err << "deepobs tune: issue the same command again when it is done (add --status to "
             "follow it, --wait to block)\n";
    return PhaseOutcome::Pending;
  }
  wait_for_job(id, o.quiet, err);
  // The task of each run in the submitted array is its index among the runs missing then, which
  // are the ones missing now plus those that finished.
  std::vector<std::string> logs;
  for (std::size_t i = 0; i < todo.size(); ++i)
    logs.push_back(job_log(plan, phase, id, i));
  return report_missing(plan, todo, logs, err) ? PhaseOutcome::Done : PhaseOutcome::Failed;
}

PhaseOutcome run_phase(const TuneOptions& o, const TunePlan& plan, const std::string& phase,
                       const std::vector<PlannedRun>& runs, std::ostream& out, std::ostream& err) {
  const auto todo = missing_runs(runs);
  if (!o.quiet && !o.dry_run)
    err << "deepobs tune: " << phase << ": " << runs.size() - todo.size() << " of " << runs.size()
        << " run(s) already done\n";
  if (todo.empty()) return PhaseOutcome::Done;
  std::error_code ec;
  if (!o.dry_run) {
    fs::create_directories(plan.tune_dir, ec);
    DEEPOBS_CHECK(!ec, "cannot create ", plan.tune_dir.string(), ": ", ec.message(),
                  " (choose another --output_dir)");
  }
  return o.executor == ExecutorKind::Local ? run_local(o, plan, phase, todo, out, err)
                                           : run_slurm(o, plan, phase, todo, out, err);
}

// The analyzer's pick among the plan's settings (deepobs_analyzer tune-select), written to
// <tune_dir>/selection.json; returns the setting's index.
std::size_t select_best(const TuneOptions& o, const TunePlan& plan, std::ostream& err,
                        nlohmann::json& selection) {
  std::error_code ec;
  fs::create_directories(plan.tune_dir, ec);
  std::string names;
  for (const auto& f : plan.folders)
    names += f.filename().string() + "\n";
  const fs::path settings_file = plan.tune_dir / "settings.txt";
  write_file_atomically(settings_file, names);
  std::string seeds;
  for (int s : plan.tuning_seeds)
    seeds += (seeds.empty() ? "" : ",") + std::to_string(s);
  const fs::path out_file = plan.tune_dir / "selection.json";
  std::vector<std::string> args = {"tune-select", o.output_dir,
                                   plan.problem,  plan.optimizer_name,
                                   "--settings",  settings_file.string(),
                                   "--seeds",     seeds,
                                   "--mode",      o.mode,
                                   "--out",       out_file.string()};
  if (!o.metric.empty()) args.insert(args.end(), {"--metric", o.metric});
  const int rc = run_python_analyzer(args, "deepobs tune", err);
  DEEPOBS_CHECK(rc == 0, "the analyzer could not pick the best setting (exit ", rc,
                ", message above)");
  std::ifstream in(out_file);
  selection = nlohmann::json::parse(in, nullptr, false);
  DEEPOBS_CHECK(!selection.is_discarded() && selection.contains("setting"), out_file.string(),
                ": not the analyzer's selection");
  const std::string chosen = selection["setting"].get<std::string>();
  for (std::size_t i = 0; i < plan.folders.size(); ++i)
    if (plan.folders[i].filename() == chosen) return i;
  throw Error(cat(out_file.string(), ": the chosen setting ", chosen, " is not one of the tune's"));
}

std::string value_text(const nlohmann::json& v) {
  return v.is_number() ? cat(v.get<double>()) : std::string("nan");
}

void print_status(const TuneOptions& o, const TunePlan& plan, std::ostream& out) {
  const auto tuning = tuning_runs(o, plan);
  const auto tuning_left = missing_runs(tuning).size();
  out << "tune " << plan.problem << " " << plan.optimizer_name << " (" << plan.points.size()
      << " setting(s), seeds " << plan.tuning_seeds.front() << "-" << plan.tuning_seeds.back()
      << "; files in " << plan.tune_dir.string() << ")\n"
      << "tuning: " << tuning.size() - tuning_left << "/" << tuning.size() << " runs done\n";
  std::ifstream in(plan.tune_dir / "selection.json");
  const nlohmann::json sel = nlohmann::json::parse(in, nullptr, false);
  std::optional<std::size_t> best;
  if (!sel.is_discarded() && sel.contains("setting"))
    for (std::size_t i = 0; i < plan.folders.size(); ++i)
      if (plan.folders[i].filename() == sel["setting"].get<std::string>()) best = i;
  if (best) {
    const auto rerun = planned_runs(o, plan, *best, plan.rerun_seeds);
    out << "chosen: " << point_label(plan.points[*best]) << " (" << sel["mode"].get<std::string>()
        << " " << sel["metric"].get<std::string>() << " " << value_text(sel["value"]) << ")\n"
        << "rerun: " << rerun.size() - missing_runs(rerun).size() << "/" << rerun.size()
        << " seeds done\n";
  } else {
    out << "chosen: not yet (picked once every tuning run is done)\n";
  }
  for (const char* phase : {"tuning", "rerun"}) {
    for (const auto& id : submitted_jobs(plan, phase)) {
      out << "slurm job " << id << " (" << phase << "): ";
      const auto queued = queued_tasks(id);
      if (!queued) {
        out << "squeue not found\n";
        continue;
      }
      std::string q;
      for (const auto& s : *queued)
        q += (q.empty() ? "" : ", ") + s;
      out << "queue: " << (q.empty() ? "none left" : q) << "; accounting: " << accounted_tasks(id)
          << "\n";
    }
  }
}

int execute(const TuneOptions& o, const TunePlan& plan, std::ostream& out, std::ostream& err) {
  if (o.status) {
    print_status(o, plan, out);
    return 0;
  }
  const auto tuning = tuning_runs(o, plan);
  if (!o.quiet && !o.dry_run)
    err << "deepobs tune: " << plan.problem << " " << plan.optimizer_name << ", "
        << plan.points.size() << " setting(s) x " << plan.tuning_seeds.size()
        << " seed(s), then the best with " << plan.rerun_seeds.size() << " seed(s)\n";
  PhaseOutcome outcome = run_phase(o, plan, "tuning", tuning, out, err);
  if (outcome == PhaseOutcome::Failed) return 1;
  if (outcome == PhaseOutcome::Pending) {
    if (o.dry_run)
      out << "# then: the analyzer picks the best setting (mode " << o.mode
          << ") and it is rerun with seeds " << plan.rerun_seeds.front() << "-"
          << plan.rerun_seeds.back() << "\n";
    return 0;
  }
  nlohmann::json selection;
  const std::size_t best = select_best(o, plan, err, selection);
  if (!o.quiet)
    err << "deepobs tune: best setting " << point_label(plan.points[best]) << " ("
        << selection["mode"].get<std::string>() << " " << selection["metric"].get<std::string>()
        << " " << value_text(selection["value"]) << ")\n";
  outcome = run_phase(o, plan, "rerun", planned_runs(o, plan, best, plan.rerun_seeds), out, err);
  if (outcome == PhaseOutcome::Failed) return 1;
  if (outcome == PhaseOutcome::Done && !o.dry_run) {
    out << "best: " << point_label(plan.points[best]) << "\n"
        << "setting folder: " << plan.folders[best].string() << " (" << plan.rerun_seeds.size()
        << " seeds)\n";
    if (!o.quiet)
      err << "deepobs tune: done; 'deepobs analyze " << o.output_dir
          << "' reports it (mode most picks the rerun setting)\n";
  }
  return 0;
}

}  // namespace

int tune_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::optional<TuneOptions> options;
  TunePlan plan;
  try {
    options = parse_tune_options(argc, argv, out);
    if (options) plan = make_tune_plan(*options);
  } catch (const std::exception& e) {
    err << "deepobs tune: " << e.what() << "\n";
    return 2;
  }
  if (!options) return 0;
  try {
    return execute(*options, plan, out, err);
  } catch (const std::exception& e) {
    err << "deepobs tune: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace deepobs::runner
