// `deepobs tune --executor local:J`: runs of the tune as child processes of the deepobs binary, J
// side by side, the CPU threads divided among them.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace deepobs::runner {

// The compute threads of each of the `jobs` slots when `total_threads` CPU threads are to be
// shared: total/jobs each, the first total%jobs slots one more, so the sum is exactly
// total_threads and no CPU is asked for twice. More slots than threads would oversubscribe, so
// the result has min(jobs, total_threads) slots (at least one, of at least one thread).
std::vector<int> divide_threads(int total_threads, int jobs);

struct ChildRun {
  std::vector<std::string> args;  // after the program name
  std::filesystem::path log;      // its stdout and stderr
  std::string label;              // for progress lines
};

struct ChildRunResult {
  int exit_code = -1;                         // 128 + signal when killed
  int threads = 0;                            // DEEPOBS_NUM_THREADS it was given
  double start_seconds = 0, end_seconds = 0;  // since run_children was called
};

// Runs `binary` with each run's args, at most divide_threads(total_threads, jobs).size() at a time,
// each with DEEPOBS_NUM_THREADS (and OMP_NUM_THREADS) set to its slot's share, its output to its
// log (folders created), stdin from /dev/null. Starts no new run once one was interrupted (exit
// 130). Progress lines go to `progress` (null: none). Throws deepobs::Error when a log cannot be
// opened or a child cannot be started.
std::vector<ChildRunResult> run_children(const std::string& binary,
                                         const std::vector<ChildRun>& runs, int jobs,
                                         int total_threads, std::ostream* progress);

// The deepobs executable the runs use: $DEEPOBS_BINARY when set (tests, which call the commands in
// their own process), else this process's own executable.
std::string deepobs_binary();

}  // namespace deepobs::runner
