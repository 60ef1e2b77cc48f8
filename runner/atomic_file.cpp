#include "runner/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/error.h"

namespace deepobs::runner {

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    DEEPOBS_CHECK(!ec, "cannot create directory ", path.parent_path().string(), ": ", ec.message(),
                  " (choose another --output_dir)");
  }
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  DEEPOBS_CHECK(fd >= 0, "cannot write ", path.string(), ": ", std::strerror(errno),
                " (choose another --output_dir)");
  const char* p = text.data();
  std::size_t left = text.size();
  int error = 0;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (!error && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && !error) error = errno;
  if (!error && std::rename(tmp.c_str(), path.c_str()) != 0) error = errno;
  if (error) {
    fs::remove(tmp, ec);
    throw Error(cat("cannot write ", path.string(), ": ", std::strerror(error)));
  }
}

}  // namespace deepobs::runner
