#include "datasets/download.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A child that outlives its own time limit by this much is killed: curl and wget normally stop
// themselves, but neither can interrupt a blocking open() or read() on a local file.
constexpr std::chrono::seconds kKillGrace{3};
// curl aborts a transfer that stays below this many bytes per second for kStallSeconds: a stalled
// connection then fails within a minute instead of at the (much longer) overall limit.
constexpr int kStallBytesPerSecond = 1024;
constexpr int kStallSeconds = 60;
constexpr int kConnectSeconds = 30;
// Only the tail of the child's stderr is kept: its last line is what explains a failure.
constexpr std::size_t kMaxStderrBytes = 16384;

bool is_executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

// The last non-empty line of the child's stderr, without curl's "curl: (6) " prefix, so that it
// fits into our one-line message.
std::string last_line(const std::string& text, const Downloader& tool) {
  std::string line;
  std::size_t end = text.size();
  while (end > 0) {
    const std::size_t start = text.rfind('\n', end - 1);
    const std::size_t from = start == std::string::npos ? 0 : start + 1;
    line = text.substr(from, end - from);
    line.erase(std::remove(line.begin(), line.end(), '\r'), line.end());
    if (line.find_first_not_of(" \t") != std::string::npos) break;
    line.clear();
    if (start == std::string::npos) break;
    end = start;
  }
  const std::string prefix = tool.name() + ": ";
  if (line.starts_with(prefix)) line.erase(0, prefix.size());
  if (tool.kind == Downloader::Kind::Curl && line.starts_with("(")) {
    const std::size_t close = line.find(") ");
    if (close != std::string::npos) line.erase(0, close + 2);
  }
  return line;
}

struct ChildResult {
  bool timed_out = false;
  int status = 0;  // as from waitpid
  std::string stderr_text;
};

// Runs argv[0] with the given arguments, stdin/stdout on /dev/null and stderr captured, and waits
// for it at most `limit`, after which it is killed. Throws NoDownloader when it cannot be started.
ChildResult run_captured(const std::vector<std::string>& args, Clock::duration limit) {
  int fds[2];
  if (::pipe(fds) != 0)
    throw DownloadError(DownloadError::Kind::Disk,
                        cat("cannot create a pipe for ", args[0], ": ", std::strerror(errno)));
  // Close-on-exec on both ends keeps them out of the child except as its dup2'ed stderr (and out
  // of any other process this one starts meanwhile).
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  // The child starts with default signal handling and nothing blocked, whatever this process set
  // up: an ignored SIGPIPE or a blocked SIGTERM must not change how curl behaves.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawn_error =
      ::posix_spawn(&pid, args[0].c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (spawn_error != 0) {
    ::close(fds[0]);
    throw DownloadError(DownloadError::Kind::NoDownloader,
                        cat("cannot run ", args[0], ": ", std::strerror(spawn_error),
                            " (install curl: apt-get install curl)"));
  }

  ChildResult result;
  const auto deadline = Clock::now() + limit;
  auto kill_child = [&] {
    ::kill(pid, SIGKILL);
    result.timed_out = true;
  };
  // Read stderr until the child closes it (it exits) or the deadline passes.
  for (;;) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      kill_child();
      break;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1;
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(ms, 1000)));
    if (ready < 0 && errno != EINTR) {
      kill_child();
      break;
    }
    if (ready <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    result.stderr_text.append(buf, static_cast<std::size_t>(n));
    if (result.stderr_text.size() > 2 * kMaxStderrBytes)
      result.stderr_text.erase(0, result.stderr_text.size() - kMaxStderrBytes);
  }
  ::close(fds[0]);
  // A child that closed stderr is exiting; keep honouring the deadline in case it does not.
  for (;;) {
    const pid_t w = ::waitpid(pid, &result.status, result.timed_out ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: someone else reaped it; nothing more to learn.
    }
    if (Clock::now() >= deadline) {
      kill_child();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return result;
}

struct ExitMeaning {
  const char* text;
  bool disk;  // a local write problem rather than a network one
};

// curl's documented exit codes (man curl, "EXIT CODES"), the ones a download can produce.
ExitMeaning curl_meaning(int code) {
  switch (code) {
    case 1:
      return {"unsupported protocol", false};
    case 3:
      return {"malformed URL", false};
    case 5:
      return {"the proxy's host name could not be resolved (check $http_proxy)", false};
    case 6:
      return {"the host name could not be resolved (DNS failure: no network connection?)", false};
    case 7:
      return {"could not connect to the server (no network connection, or the server is down)",
              false};
    case 18:
      return {"the transfer ended early (partial file)", false};
    case 22:
      return {"the server answered with an HTTP error", false};
    case 23:
      return {"could not write the downloaded data (disk full?)", true};
    case 26:
      return {"could not read the source", false};
    case 27:
      return {"out of memory", true};
    case 28:
      return {"timed out (the connection is too slow or stalled)", false};
    case 35:
      return {"the TLS handshake failed", false};
    case 37:
      return {"the file cannot be read (it does not exist?)", false};
    case 47:
      return {"too many redirects", false};
    case 52:
      return {"the server sent an empty reply", false};
    case 55:
    case 56:
      return {"the connection broke during the transfer", false};
    case 60:
      return {"the server's TLS certificate could not be verified", false};
    case 78:
      return {"the remote file does not exist", false};
    default:
      return {"the transfer failed", false};
  }
}

// wget's exit codes (info wget, "Exit Status").
ExitMeaning wget_meaning(int code) {
  switch (code) {
    case 1:
      return {"the transfer failed (an unsupported URL scheme?)", false};
    case 2:
      return {"wget did not accept the URL or its options", false};
    case 3:
      return {"could not write the downloaded data (disk full?)", true};
    case 4:
      return {"network failure (DNS failure, no network connection, or the server is down)", false};
    case 5:
      return {"the server's TLS certificate could not be verified", false};
    case 6:
      return {"the server asked for a login", false};
    case 7:
      return {"protocol error", false};
    case 8:
      return {"the server answered with an error (e.g. HTTP 404)", false};
    default:
      return {"the transfer failed", false};
  }
}

std::vector<std::string> downloader_args(const Downloader& tool, const std::string& url,
                                         const fs::path& dest, std::chrono::seconds limit) {
  const long long secs = std::max<long long>(1, limit.count());
  if (tool.kind == Downloader::Kind::Curl) {
    return {tool.program.string(), "--fail", "--silent", "--show-error", "--location",
            "--max-redirs", "10",
            // file:// is allowed for local mirrors (and the tests); a redirect never leads to one.
            "--proto", "=http,https,ftp,file", "--proto-redir", "=http,https,ftp",
            "--connect-timeout", std::to_string(std::min<long long>(secs, kConnectSeconds)),
            "--speed-limit", std::to_string(kStallBytesPerSecond), "--speed-time",
            std::to_string(kStallSeconds), "--max-time", std::to_string(secs), "--output",
            dest.string(), "--url", url};
  }
  // wget has no overall time limit (run_captured enforces it); --timeout bounds each DNS lookup,
  // connect and read so that a stalled connection fails early.
  return {tool.program.string(),
          "--no-verbose",
          "--tries=1",
          "--max-redirect=10",
          "--timeout=" + std::to_string(std::min<long long>(secs, kStallSeconds)),
          "--output-document=" + dest.string(),
          "--",
          url};
}

// Creates dest's folder and an empty, exclusively created temporary file beside dest, so that a
// folder that is not writable fails here, before any transfer, with the system's reason.
fs::path make_temp_beside(const fs::path& dest) {
  const fs::path dir = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw DownloadError(DownloadError::Kind::Disk,
                        cat("cannot create directory ", dir.string(), ": ", ec.message()));
  for (int attempt = 0;; ++attempt) {
    fs::path tmp = dest;
    tmp += cat(".part-", ::getpid(), attempt == 0 ? "" : cat("-", attempt));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::close(fd);
      return tmp;
    }
    if (errno != EEXIST || attempt >= 100)
      throw DownloadError(DownloadError::Kind::Disk,
                          cat("cannot write ", dest.string(), ": ", std::strerror(errno)));
  }
}

// Verifies `tmp` and renames it to `dest`; removes it on any failure. `origin` stands in for the
// temporary file in the verifier's messages; `rejected_note` follows them in parentheses.
std::string verify_and_place(const fs::path& tmp, const fs::path& dest, const FileVerifier& verify,
                             const fs::path& origin, const std::string& rejected_note) {
  std::error_code ec;
  std::string description;
  try {
    description = verify(tmp);
  } catch (const Error& e) {
    fs::remove(tmp, ec);
    throw DownloadError(
        DownloadError::Kind::Invalid,
        cat(replace_all(e.what(), tmp.string(), origin.string()), " (", rejected_note, ")"));
  }
  // Flush the data before the rename so that a crash cannot leave an empty file under the final
  // name (rename is atomic, the data behind it is not unless synced).
  int error = 0;
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) error = errno;
  if (fd >= 0) ::close(fd);
  if (!error && std::rename(tmp.c_str(), dest.c_str()) != 0) error = errno;
  if (error) {
    fs::remove(tmp, ec);
    throw DownloadError(DownloadError::Kind::Disk,
                        cat("cannot write ", dest.string(), ": ", std::strerror(error)));
  }
  return description;
}

}  // namespace

std::optional<Downloader> find_downloader() {
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::vector<fs::path> dirs;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    // An empty entry means the working directory; a downloader found there would be a surprise.
    if (end > start) dirs.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  for (const auto kind : {Downloader::Kind::Curl, Downloader::Kind::Wget}) {
    Downloader tool{kind, {}};
    for (const auto& dir : dirs) {
      if (is_executable_file(dir / tool.name())) {
        tool.program = dir / tool.name();
        return tool;
      }
    }
  }
  return std::nullopt;
}

void fetch_url(const std::string& url, const fs::path& dest, const FetchOptions& options) {
  std::optional<Downloader> tool = options.downloader;
  if (!tool) tool = find_downloader();
  if (!tool)
    throw DownloadError(DownloadError::Kind::NoDownloader,
                        "neither curl nor wget is installed (install one: apt-get install curl)");
  const ChildResult r = run_captured(downloader_args(*tool, url, dest, options.time_limit),
                                     options.time_limit + kKillGrace);
  if (r.timed_out)
    throw DownloadError(
        DownloadError::Kind::Network,
        cat("cannot reach ", url, ": no complete transfer within ", options.time_limit.count(),
            " s (", tool->name(), " was stopped; raise --timeout on a slow connection)"));
  if (WIFSIGNALED(r.status))
    throw DownloadError(DownloadError::Kind::Network,
                        cat("cannot reach ", url, ": ", tool->name(), " was killed by signal ",
                            WTERMSIG(r.status), " (", strsignal(WTERMSIG(r.status)), ")"));
  const int code = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
  if (code == 0) return;
  const ExitMeaning meaning =
      tool->kind == Downloader::Kind::Curl ? curl_meaning(code) : wget_meaning(code);
  const std::string detail = last_line(r.stderr_text, *tool);
  const std::string exit_note =
      cat("[", tool->name(), " exit code ", code, detail.empty() ? "" : ": ", detail, "]");
  if (meaning.disk)
    throw DownloadError(DownloadError::Kind::Disk,
                        cat("cannot write ", dest.string(), ": ", meaning.text, " while fetching ",
                            url, " ", exit_note));
  throw DownloadError(DownloadError::Kind::Network,
                      cat("cannot reach ", url, ": ", meaning.text, " ", exit_note));
}

std::string download_verified(const std::string& url, const fs::path& dest,
                              const FileVerifier& verify, const FetchOptions& options) {
  const fs::path tmp = make_temp_beside(dest);
  try {
    fetch_url(url, tmp, options);
  } catch (const DownloadError& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw DownloadError(e.kind(), replace_all(e.what(), tmp.string(), dest.string()));
  }
  return verify_and_place(tmp, dest, verify, dest, cat("downloaded from ", url, "; deleted"));
}

std::string copy_verified(const fs::path& source, const fs::path& dest,
                          const FileVerifier& verify) {
  const fs::path tmp = make_temp_beside(dest);
  std::error_code ec;
  fs::copy_file(source, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw DownloadError(DownloadError::Kind::Disk, cat("cannot copy ", source.string(), " to ",
                                                       dest.string(), ": ", ec.message()));
  }
  return verify_and_place(tmp, dest, verify, source, cat("not copied to ", dest.string()));
}

std::string write_verified(const fs::path& dest, const std::function<void(const fs::path&)>& write,
                           const FileVerifier& verify, const std::string& note) {
  const fs::path tmp = make_temp_beside(dest);
  try {
    write(tmp);
  } catch (const DownloadError&) {  // already names `dest` and carries its kind
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  } catch (const Error& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw Error(replace_all(e.what(), tmp.string(), dest.string()));
  }
  return verify_and_place(tmp, dest, verify, dest, cat(note, "; deleted"));
}

std::string write_verified(const fs::path& dest, std::string_view bytes,
                           const FileVerifier& verify) {
  const auto write = [&](const fs::path& tmp) {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      const int error = errno;
      throw DownloadError(DownloadError::Kind::Disk,
                          cat("cannot write ", dest.string(), ": ",
                              error != 0 ? std::strerror(error) : "the write failed"));
    }
  };
  return write_verified(dest, write, verify, cat("not written to ", dest.string()));
}

}  // namespace deepobs::datasets
