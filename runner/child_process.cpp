#include "runner/child_process.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>

#include "core/error.h"

namespace deepobs::runner {
namespace {

using Clock = std::chrono::steady_clock;

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// The child: the result text behind a one-byte tag ('R' result, 'E' exception message).
[[noreturn]] void child_main(int fd, const std::function<std::string()>& work) {
  std::fflush(stdout);
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  std::string message;
  try {
    message = "R" + work();
  } catch (const std::exception& e) {
    message = std::string("E") + e.what();
  } catch (...) {
    message = "Ean exception of unknown type";
  }
  std::cout.flush();
  std::cerr.flush();
  write_all(fd, message);
  ::close(fd);
  ::_exit(0);
}

}  // namespace

std::vector<char*> exec_array(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings)
    pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

std::string signal_description(int signal_number) {
  const char* abbrev = sigabbrev_np(signal_number);
  const char* text = sigdescr_np(signal_number);
  if (abbrev == nullptr) return "signal " + std::to_string(signal_number);
  return cat("SIG", abbrev, " (", text ? text : "no description", ")");
}

ChildOutcome run_in_child(const std::function<std::string()>& work, double timeout_seconds) {
  int fds[2];
  DEEPOBS_CHECK(::pipe(fds) == 0,
                "cannot create a pipe for a child process: ", std::strerror(errno));
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error(cat("cannot fork a child process: ", std::strerror(errno)));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], work);
  }
  ::close(fds[1]);

  ChildOutcome outcome;
  std::string received;
  bool timed_out = false;
  const auto deadline = start + std::chrono::duration<double>(timeout_seconds);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child closed its end (finished or died)
    received.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.seconds = std::chrono::duration<double>(Clock::now() - start).count();

  if (timed_out) {
    outcome.failure = cat("timed out after ", timeout_seconds, " s (killed)");
  } else if (WIFSIGNALED(status)) {
    outcome.failure = "crashed: " + signal_description(WTERMSIG(status));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    outcome.failure = cat("exited with code ", WEXITSTATUS(status), " before finishing");
  } else if (received.empty()) {
    outcome.failure = "exited without a result";
  } else if (received[0] == 'E') {
    outcome.failure = "threw: " + received.substr(1);
  } else {
    outcome.completed = true;
    outcome.result = received.substr(1);
  }
  return outcome;
}

}  // namespace deepobs::runner
