// `deepobs tune --executor slurm`: one sbatch job array per phase of a tune, one array task per
// run, and the queries behind `deepobs tune --status`.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runner/tune_plan.h"

namespace deepobs::runner {

// The job-array script for `runs` (one task each, task i = runs[i]): resources from
// options.slurm, "#SBATCH --requeue" and "--signal=B:TERM@120" (a preempted or timed-out task
// stops its run cleanly; with `deepobs run --resume` in run_arguments it continues when requeued),
// one log per task <tune_dir>/slurm_<phase>_<jobid>_<task>.log, DEEPOBS_NUM_THREADS = the task's
// CPUs, and each task exec-ing `binary` with run_arguments(...) shell-quoted. Paths are absolute
// (the script runs in --chdir = `workdir`).
std::string slurm_array_script(const TuneOptions& options, const TunePlan& plan,
                               const std::vector<PlannedRun>& runs, const std::string& phase,
                               const std::string& binary, const std::filesystem::path& workdir);

// 'text' for a POSIX shell: unchanged when only safe characters, else single-quoted.
std::string shell_quote(const std::string& text);

// A program's exit status and stdout (stderr passes through unless `capture_stderr`, then it is
// appended to the output). The program is looked up in PATH; a missing program gives exit 127.
struct ProgramOutput {
  int exit_code = 0;
  std::string out;
};
ProgramOutput run_program(const std::vector<std::string>& argv, bool capture_stderr = false);

// Writes `script` to <tune_dir>/<phase>.sbatch and submits it with `sbatch --parsable`; returns the
// job id. Throws deepobs::Error with sbatch's own message when it fails (or is not installed).
std::string submit_array(const TunePlan& plan, const std::string& phase, const std::string& script);

// The job ids submitted so far for `phase` (from <tune_dir>/slurm_jobs.tsv), oldest first.
std::vector<std::string> submitted_jobs(const TunePlan& plan, const std::string& phase);
void record_job(const TunePlan& plan, const std::string& phase, const std::string& job_id);

// Array tasks of `job_id` still in the queue (squeue), as "state count" → e.g. {"RUNNING 2",
// "PENDING 6"}; empty when the job has left the queue. nullopt when squeue cannot be run.
std::optional<std::vector<std::string>> queued_tasks(const std::string& job_id);

// Task states of `job_id` from the accounting (sacct), "state count" per state; or sacct's one-line
// error (e.g. accounting disabled on a small cluster).
std::string accounted_tasks(const std::string& job_id);

}  // namespace deepobs::runner
