#include "datasets/tfrecord.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "datasets/crc32c.h"

namespace deepobs::datasets {
namespace {

constexpr std::size_t kHeaderBytes = 12;  // length + its checksum
constexpr std::size_t kFooterBytes = 4;   // the data's checksum
// Far above any JPEG in ILSVRC (the largest is ~15 MB); a larger length is a corrupt header.
constexpr std::uint64_t kMaxRecordBytes = std::uint64_t{1} << 30;

std::uint64_t load_u64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

std::uint32_t load_u32(const unsigned char* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

void store_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

// A read-only file descriptor, closed on scope exit.
class File {
 public:
  explicit File(const std::filesystem::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
      throw Error(cat(path.string(), ": cannot open (", std::strerror(errno),
                      "); check the path, or run `deepobs prepare-data imagenet` again"));
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() { ::close(fd_); }

  // Reads up to n bytes at `offset`; returns how many were there (fewer only at the end).
  std::size_t read_at(std::uint64_t offset, void* buf, std::size_t n) const {
    std::size_t done = 0;
    while (done < n) {
      const ssize_t got =
          ::pread(fd_, static_cast<char*>(buf) + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0)
        throw Error(cat(path_.string(), ": read failed at byte ", offset + done, " (",
                        std::strerror(errno), ")"));
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

std::string where(const std::filesystem::path& path, std::uint64_t offset) {
  return cat(path.string(), ": TFRecord at byte ", offset);
}

// Reads and checks the header at `offset`; returns the data length, or -1 at a clean end of file.
std::int64_t read_header(const File& file, const std::filesystem::path& path,
                         std::uint64_t offset) {
  unsigned char header[kHeaderBytes];
  const std::size_t got = file.read_at(offset, header, kHeaderBytes);
  if (got == 0) return -1;
  DEEPOBS_CHECK(got == kHeaderBytes, where(path, offset), ": the file ends inside the record ",
                "header (truncated shard; copy it again)");
  DEEPOBS_CHECK(masked_crc32c(header, 8) == load_u32(header + 8), where(path, offset),
                ": the length checksum does not match (corrupt shard; copy it again)");
  const std::uint64_t length = load_u64(header);
  DEEPOBS_CHECK(length <= kMaxRecordBytes, where(path, offset), ": implausible record length ",
                length, " (corrupt shard)");
  return static_cast<std::int64_t>(length);
}

// Reads the data and footer of a record whose header was checked.
void read_body(const File& file, const std::filesystem::path& path, std::uint64_t offset,
               std::uint64_t length, std::string& data) {
  data.resize(length + kFooterBytes);
  const std::size_t want = length + kFooterBytes;
  const std::size_t got = file.read_at(offset + kHeaderBytes, data.data(), want);
  DEEPOBS_CHECK(got == want, where(path, offset), ": the file ends ", want - got,
                " bytes before the end of the record (truncated shard; copy it again)");
  const auto* footer = reinterpret_cast<const unsigned char*>(data.data() + length);
  DEEPOBS_CHECK(masked_crc32c(data.data(), length) == load_u32(footer), where(path, offset),
                ": the data checksum does not match (corrupt shard; copy it again)");
  data.resize(length);
}

}  // namespace

void append_tfrecord(std::string& out, std::string_view data) {
  unsigned char len[8];
  const std::uint64_t n = data.size();
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xFFu);
  out.append(reinterpret_cast<const char*>(len), 8);
  store_u32(out, masked_crc32c(len, 8));
  out.append(data);
  store_u32(out, masked_crc32c(data.data(), data.size()));
}

std::int64_t for_each_tfrecord(
    const std::filesystem::path& path,
    const std::function<void(const RecordSpan& span, std::string_view data)>& visit) {
  const File file(path);
  std::string data;
  std::uint64_t offset = 0;
  std::int64_t count = 0;
  for (;;) {
    const std::int64_t length = read_header(file, path, offset);
    if (length < 0) return count;
    const RecordSpan span{offset, static_cast<std::uint64_t>(length)};
    read_body(file, path, offset, span.length, data);
    visit(span, data);
    ++count;
    offset += kHeaderBytes + span.length + kFooterBytes;
  }
}

void read_tfrecord(const std::filesystem::path& path, const RecordSpan& span, std::string& data) {
  const File file(path);
  const std::int64_t length = read_header(file, path, span.offset);
  DEEPOBS_CHECK(length >= 0, where(path, span.offset),
                ": the file ends before this record (the shard changed after `deepobs ",
                "prepare-data imagenet`; run it again)");
  DEEPOBS_CHECK(static_cast<std::uint64_t>(length) == span.length, where(path, span.offset),
                ": length ", length, " where the index says ", span.length,
                " (the shard changed after `deepobs prepare-data imagenet`; run it again)");
  read_body(file, path, span.offset, span.length, data);
}

}  // namespace deepobs::datasets
