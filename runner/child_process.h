// Running a piece of work in a forked child process, so that whatever it does (a segfault, an
// abort, an endless loop, a leak) cannot take the caller down. Used by `deepobs validate-plugin`,
// which runs each check of a possibly broken plugin this way.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace deepobs::runner {

struct ChildOutcome {
  // True when the child ran `work` to the end and its result arrived.
  bool completed = false;
  std::string result;  // what `work` returned (only when completed)
  // Otherwise, one line saying what happened: "crashed: SIGSEGV (Segmentation fault)",
  // "timed out after 30 s (killed)", "exited with code 3 before finishing", ...
  std::string failure;
  double seconds = 0;  // wall time of the child
};

// Forks; the child redirects its stdout to stderr (so a chatty plugin cannot corrupt the caller's
// report), runs `work`, sends the returned text back through a pipe and leaves with _exit(0)
// (skipping atexit handlers and static destructors the parent owns). An exception escaping `work`
// is a failure "threw: <what>". The parent waits at most `timeout_seconds`, then kills the child
// with SIGKILL. Call from a single-threaded point of the program: only the calling thread exists
// in the child. Throws deepobs::Error when pipe or fork fails.
ChildOutcome run_in_child(const std::function<std::string()>& work, double timeout_seconds);

// argv or envp for posix_spawn/exec: pointers into `strings` (which must outlive the result and
// not change), then the terminating null pointer.
std::vector<char*> exec_array(std::vector<std::string>& strings);

// "SIGSEGV (Segmentation fault)" for 11, "signal 77" for an unknown number.
std::string signal_description(int signal_number);

}  // namespace deepobs::runner
