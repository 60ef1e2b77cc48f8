#include "runner/local_executor.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <thread>

#include "core/error.h"
#include "runner/child_process.h"

extern char** environ;

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Our environment with the thread-count variables replaced.
std::vector<std::string> child_environment(int threads) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "DEEPOBS_NUM_THREADS=", 20) && std::strncmp(*e, "OMP_NUM_THREADS=", 16))
      env.emplace_back(*e);
  env.push_back("DEEPOBS_NUM_THREADS=" + std::to_string(threads));
  env.push_back("OMP_NUM_THREADS=" + std::to_string(threads));
  return env;
}

pid_t start_child(const std::string& binary, const ChildRun& run, int threads) {
  std::error_code ec;
  fs::create_directories(run.log.parent_path(), ec);
  const int fd = ::open(run.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  DEEPOBS_CHECK(fd >= 0, "cannot write the log ", run.log.string(), ": ", std::strerror(errno),
                " (choose another --output_dir)");
  std::vector<std::string> args = {binary};
  args.insert(args.end(), run.args.begin(), run.args.end());
  std::vector<std::string> env = child_environment(threads);
  std::vector<char*> cargv = exec_array(args), cenv = exec_array(env);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fd, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fd);
  DEEPOBS_CHECK(rc == 0, "cannot start ", binary, ": ", std::strerror(rc),
                " (set DEEPOBS_BINARY to the deepobs executable)");
  return pid;
}

}  // namespace

std::vector<int> divide_threads(int total_threads, int jobs) {
  const int total = std::max(total_threads, 1);
  const int slots = std::clamp(jobs, 1, total);
  std::vector<int> threads(static_cast<std::size_t>(slots), total / slots);
  for (int s = 0; s < total % slots; ++s)
    ++threads[static_cast<std::size_t>(s)];
  return threads;
}

std::string deepobs_binary() {
  if (const char* env = std::getenv("DEEPOBS_BINARY"); env && *env) return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  DEEPOBS_CHECK(!ec,
                "cannot find this executable (/proc/self/exe); set DEEPOBS_BINARY to the "
                "deepobs executable");
  return self.string();
}

std::vector<ChildRunResult> run_children(const std::string& binary,
                                         const std::vector<ChildRun>& runs, int jobs,
                                         int total_threads, std::ostream* progress) {
  const std::vector<int> slot_threads = divide_threads(total_threads, jobs);
  std::vector<ChildRunResult> results(runs.size());
  struct Active {
    pid_t pid;
    std::size_t run;
    std::size_t slot;
  };
  std::vector<Active> active;
  std::vector<bool> slot_busy(slot_threads.size(), false);
  const auto start = Clock::now();
  const auto since_start = [&] {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  std::size_t next = 0, finished = 0;
  bool interrupted = false;
  while (finished < next || (next < runs.size() && !interrupted)) {
    // Fill the free slots.
    for (std::size_t s = 0; s < slot_busy.size() && next < runs.size() && !interrupted; ++s) {
      if (slot_busy[s]) continue;
      results[next].threads = slot_threads[s];
      results[next].start_seconds = since_start();
      active.push_back({start_child(binary, runs[next], slot_threads[s]), next, s});
      slot_busy[s] = true;
      if (progress)
        *progress << "[" << next + 1 << "/" << runs.size() << "] start " << runs[next].label << " ("
                  << slot_threads[s] << " thread" << (slot_threads[s] > 1 ? "s" : "") << ")\n";
      ++next;
    }
    // Reap whichever finished; poll, so that only our own children are waited for.
    bool reaped = false;
    for (auto it = active.begin(); it != active.end();) {
      int status = 0;
      const pid_t r = ::waitpid(it->pid, &status, WNOHANG);
      if (r == 0 || (r < 0 && errno == EINTR)) {
        ++it;
        continue;
      }
      ChildRunResult& res = results[it->run];
      res.end_seconds = since_start();
      res.exit_code = r < 0                 ? -1
                      : WIFEXITED(status)   ? WEXITSTATUS(status)
                      : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                            : -1;
      interrupted = interrupted || res.exit_code == 130;
      if (progress)
        *progress << "[" << it->run + 1 << "/" << runs.size() << "] "
                  << (res.exit_code == 0 ? "done "
                                         : "FAILED (exit " + std::to_string(res.exit_code) + ") ")
                  << runs[it->run].label << " in " << std::fixed << std::setprecision(1)
                  << res.end_seconds - res.start_seconds << std::defaultfloat << " s"
                  << (res.exit_code == 0 ? "" : "; log: " + runs[it->run].log.string()) << "\n";
      slot_busy[it->slot] = false;
      it = active.erase(it);
      ++finished;
      reaped = true;
    }
    if (!reaped && !active.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return results;
}

}  // namespace deepobs::runner
