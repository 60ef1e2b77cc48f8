#include "runner/slurm_executor.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "runner/atomic_file.h"
#include "runner/child_process.h"

extern char** environ;

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// "state count" lines from one state per line.
std::vector<std::string> count_states(const std::string& lines) {
  std::map<std::string, int> counts;
  std::istringstream in(lines);
  for (std::string state; std::getline(in, state);) {
    state = state.substr(0, state.find(' '));
    if (!state.empty()) ++counts[state];
  }
  std::vector<std::string> out;
  for (const auto& [state, n] : counts)
    out.push_back(state + " " + std::to_string(n));
  return out;
}

}  // namespace

std::string shell_quote(const std::string& text) {
  const bool safe = !text.empty() && text.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789_-+=.,:/@%") == std::string::npos;
  if (safe) return text;
  std::string q = "'";
  for (char c : text)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurm_array_script(const TuneOptions& o, const TunePlan& plan,
                               const std::vector<PlannedRun>& runs, const std::string& phase,
                               const std::string& binary, const fs::path& workdir) {
  DEEPOBS_CHECK(!runs.empty(), "no runs for the ", phase, " array");
  const fs::path dir = fs::absolute(plan.tune_dir);
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# deepobs tune " << plan.problem << " " << plan.optimizer_name << ": " << phase
    << " phase, " << runs.size() << " run(s), one per array task.\n"
    << "#SBATCH --job-name=" << shell_quote("deepobs-" + phase + "-" + plan.problem) << "\n"
    << "#SBATCH --array=0-" << runs.size() - 1 << "\n"
    << "#SBATCH --output=" << shell_quote((dir / ("slurm_" + phase + "_%A_%a.log")).string())
    << "\n"
    << "#SBATCH --chdir=" << shell_quote(workdir.string()) << "\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --cpus-per-task=" << o.slurm.cpus << "\n"
    << "#SBATCH --time=" << shell_quote(o.slurm.time) << "\n";
  if (!o.slurm.partition.empty())
    s << "#SBATCH --partition=" << shell_quote(o.slurm.partition) << "\n";
  if (!o.slurm.account.empty()) s << "#SBATCH --account=" << shell_quote(o.slurm.account) << "\n";
  if (!o.slurm.mem.empty()) s << "#SBATCH --mem=" << shell_quote(o.slurm.mem) << "\n";
  if (!o.slurm.gres.empty()) s << "#SBATCH --gres=" << shell_quote(o.slurm.gres) << "\n";
  // A preempted task goes back to the queue; SIGTERM two minutes before the time limit lets the
  // run stop cleanly (and, with --resume, continue from its checkpoint when requeued).
  s << "#SBATCH --requeue\n"
    << "#SBATCH --signal=B:TERM@120\n";
  for (const auto& extra : o.slurm.extra)
    s << "#SBATCH " << extra << "\n";
  s << "set -euo pipefail\n"
    << "export DEEPOBS_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-" << o.slurm.cpus << "}\"\n"
    << "export OMP_NUM_THREADS=\"$DEEPOBS_NUM_THREADS\"\n"
    << "case \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    s << "  " << i << ") run=(" << shell_quote(binary);
    for (const auto& a : runs[i].args)
      s << " " << shell_quote(a);
    s << ") ;;\n";
  }
  s << "  *) echo \"no run for array task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\n"
    << "esac\n"
    << "exec \"${run[@]}\"\n";
  return s.str();
}

ProgramOutput run_program(const std::vector<std::string>& argv, bool capture_stderr) {
  int fds[2];
  // Close-on-exec: only the dup2'ed copies reach the program. A daemon it starts (slurm-local.sh)
  // would otherwise inherit the write end and the read below would never see EOF.
  DEEPOBS_CHECK(::pipe2(fds, O_CLOEXEC) == 0, "cannot create a pipe: ", std::strerror(errno));
  std::vector<std::string> args = argv;
  std::vector<char*> cargv = exec_array(args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  if (capture_stderr) posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  ProgramOutput result;
  if (rc != 0) {
    ::close(fds[0]);
    result.exit_code = 127;
    result.out = args[0] + ": " + std::strerror(rc);
    return result;
  }
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string submit_array(const TunePlan& plan, const std::string& phase,
                         const std::string& script) {
  const fs::path path = plan.tune_dir / (phase + ".sbatch");
  std::error_code ec;
  fs::create_directories(plan.tune_dir, ec);
  DEEPOBS_CHECK(!ec, "cannot create ", plan.tune_dir.string(), ": ", ec.message(),
                " (choose another --output_dir)");
  write_file_atomically(path, script);
  const ProgramOutput r = run_program({"sbatch", "--parsable", path.string()}, true);
  DEEPOBS_CHECK(r.exit_code == 0, "sbatch ", path.string(), " failed (exit ", r.exit_code,
                "): ", first_line(r.out),
                r.exit_code == 127 ? " (is Slurm installed? tools/slurm-local.sh start runs a "
                                     "one-node cluster)"
                                   : "");
  // --parsable prints "<jobid>[;<cluster>]"; sbatch may print warnings on lines before it.
  std::string last;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) last = line;
  const std::string id = last.substr(0, last.find(';'));
  DEEPOBS_CHECK(!id.empty() && id.find_first_not_of("0123456789") == std::string::npos,
                "sbatch printed no job id: '", first_line(r.out), "'");
  record_job(plan, phase, id);
  return id;
}

std::vector<std::string> submitted_jobs(const TunePlan& plan, const std::string& phase) {
  std::vector<std::string> ids;
  std::ifstream in(plan.tune_dir / "slurm_jobs.tsv");
  for (std::string p, id; in >> p >> id;)
    if (p == phase) ids.push_back(id);
  return ids;
}

void record_job(const TunePlan& plan, const std::string& phase, const std::string& job_id) {
  std::ofstream out(plan.tune_dir / "slurm_jobs.tsv", std::ios::app);
  out << phase << "\t" << job_id << "\n";
  DEEPOBS_CHECK(out.good(), "cannot write ", (plan.tune_dir / "slurm_jobs.tsv").string());
}

std::optional<std::vector<std::string>> queued_tasks(const std::string& job_id) {
  const ProgramOutput r = run_program({"squeue", "-h", "-r", "-j", job_id, "-o", "%T"}, true);
  if (r.exit_code == 127) return std::nullopt;
  // A job that left the queue long ago is unknown to squeue: "Invalid job id specified".
  if (r.exit_code != 0) return std::vector<std::string>{};
  return count_states(r.out);
}

std::string accounted_tasks(const std::string& job_id) {
  const ProgramOutput r =
      run_program({"sacct", "-n", "-X", "-P", "-j", job_id, "-o", "State"}, true);
  if (r.exit_code != 0) return "sacct: " + first_line(r.out);
  std::string s;
  for (const auto& line : count_states(r.out))
    s += (s.empty() ? "" : ", ") + line;
  return s.empty() ? "no records" : s;
}

}  // namespace deepobs::runner
