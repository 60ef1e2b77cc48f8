#include "runner/analyzer_command.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "runner/child_process.h"

extern char** environ;

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

constexpr const char* kInstallHint =
    "install it with 'apt-get install python3 python3-matplotlib python3-numpy python3-pandas' "
    "(or run tools/install-deps.sh as root)";

// The folder that holds the deepobs_analyzer package: $DEEPOBS_ANALYZER_DIR, else the source
// tree's tools/analyzer (DEEPOBS_ANALYZER_DIR, set by CMake).
std::string analyzer_dir() {
  if (const char* env = std::getenv("DEEPOBS_ANALYZER_DIR"); env && *env) return env;
  return DEEPOBS_ANALYZER_DIR;
}

std::string self_executable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

}  // namespace

int run_python_analyzer(const std::vector<std::string>& analyzer_args, const std::string& what,
                        std::ostream& err, std::string* captured_stderr) {
  const char* py_env = std::getenv("DEEPOBS_PYTHON");
  const std::string python = py_env && *py_env ? py_env : "/usr/bin/python3";
  if (access(python.c_str(), X_OK) != 0) {
    err << what << ": " << python << " not found (the analyzer runs under "
        << "Debian's Python); " << kInstallHint << "\n";
    return 3;
  }
  const std::string dir = analyzer_dir();
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / "deepobs_analyzer" / "__main__.py", ec)) {
    err << what << ": the analyzer package is missing: no "
        << (fs::path(dir) / "deepobs_analyzer").string()
        << " (set DEEPOBS_ANALYZER_DIR to the folder that holds deepobs_analyzer/)\n";
    return 3;
  }

  std::vector<std::string> args = {python, "-m", "deepobs_analyzer"};
  args.insert(args.end(), analyzer_args.begin(), analyzer_args.end());

  // Environment: ours, with PYTHONPATH prefixed and the binary's path for estimate-runtime.
  std::vector<std::string> env;
  const char* old_pp = std::getenv("PYTHONPATH");
  for (char** e = environ; *e; ++e) {
    if (!std::strncmp(*e, "PYTHONPATH=", 11) || !std::strncmp(*e, "DEEPOBS_BINARY=", 15) ||
        !std::strncmp(*e, "MPLBACKEND=", 11) || !std::strncmp(*e, "DEEPOBS_ANALYZER_PROG=", 22) ||
        !std::strncmp(*e, "PYTHONDONTWRITEBYTECODE=", 24))
      continue;
    env.emplace_back(*e);
  }
  env.push_back("PYTHONPATH=" + dir + (old_pp && *old_pp ? ":" + std::string(old_pp) : ""));
  env.push_back("MPLBACKEND=Agg");
  // The analyzer's sources may sit in a read-only install or a checkout: no __pycache__ beside
  // them.
  env.push_back("PYTHONDONTWRITEBYTECODE=1");
  env.push_back("DEEPOBS_ANALYZER_PROG=deepobs");
  const char* bin_env = std::getenv("DEEPOBS_BINARY");
  const std::string self = self_executable();
  if (bin_env && *bin_env)
    env.push_back(std::string("DEEPOBS_BINARY=") + bin_env);
  else if (!self.empty())
    env.push_back("DEEPOBS_BINARY=" + self);

  std::vector<char*> cargv = exec_array(args), cenv = exec_array(env);

  // With captured_stderr the child's stderr goes to an unlinked temporary file, read back below.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int capture_fd = -1;
  if (captured_stderr) {
    char tmpl[] = "/tmp/deepobs_analyzer_stderr_XXXXXX";
    capture_fd = ::mkstemp(tmpl);
    if (capture_fd >= 0) {
      ::unlink(tmpl);
      posix_spawn_file_actions_adddup2(&actions, capture_fd, STDERR_FILENO);
    }
  }
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, python.c_str(), &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  const auto read_capture = [&] {
    if (capture_fd < 0) return;
    std::string text;
    char buf[4096];
    ::lseek(capture_fd, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(capture_fd, buf, sizeof buf)) > 0;)
      text.append(buf, static_cast<std::size_t>(n));
    ::close(capture_fd);
    *captured_stderr = text;
  };
  if (rc != 0) {
    read_capture();
    err << what << ": cannot start " << python << ": " << std::strerror(rc) << "; " << kInstallHint
        << "\n";
    return 3;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      err << what << ": waitpid failed: " << std::strerror(errno) << "\n";
      read_capture();
      return 1;
    }
  }
  read_capture();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

int analyzer_command(const std::string& subcommand, int argc, char** argv, std::ostream& err) {
  std::vector<std::string> args = {subcommand};
  for (int i = 1; i < argc; ++i)
    args.emplace_back(argv[i]);
  return run_python_analyzer(args, "deepobs " + subcommand, err);
}

}  // namespace deepobs::runner
