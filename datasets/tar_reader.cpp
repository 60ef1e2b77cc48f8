#include "datasets/tar_reader.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.h"

namespace deepobs::datasets {
namespace {

constexpr std::size_t kBlock = 512;
// Larger than any member a data set needs; a bigger size field means a corrupt header.
constexpr std::uint64_t kMaxMemberBytes = std::uint64_t{1} << 40;

using Header = std::array<std::uint8_t, kBlock>;

std::uint64_t padded(std::uint64_t bytes) {
  return (bytes + kBlock - 1) / kBlock * kBlock;
}

// A NUL-terminated (or full-width) text field.
std::string text_field(const Header& h, std::size_t at, std::size_t width) {
  std::size_t n = 0;
  while (n < width && h[at + n] != 0)
    ++n;
  return std::string(reinterpret_cast<const char*>(h.data() + at), n);
}

// A numeric field: octal digits (leading spaces, trailing NUL or space), or GNU's base-256 form
// (first byte's high bit set) for large values. Returns false when it is neither.
bool number_field(const Header& h, std::size_t at, std::size_t width, std::uint64_t* value) {
  std::uint64_t v = 0;
  if (h[at] & 0x80) {
    for (std::size_t i = 1; i < width; ++i) {
      if (v >> 56) return false;
      v = (v << 8) | h[at + i];
    }
    *value = v;
    return (h[at] & 0x7f) == 0;
  }
  std::size_t i = 0;
  while (i < width && h[at + i] == ' ')
    ++i;
  bool digits = false;
  for (; i < width && h[at + i] >= '0' && h[at + i] <= '7'; ++i) {
    if (v >> 60) return false;
    v = v * 8 + (h[at + i] - '0');
    digits = true;
  }
  for (; i < width; ++i)
    if (h[at + i] != 0 && h[at + i] != ' ') return false;
  *value = v;
  return digits;
}

bool all_zero(const Header& h) {
  for (std::uint8_t b : h)
    if (b != 0) return false;
  return true;
}

// The header checksum: the sum of all bytes with the checksum field counted as spaces.
std::uint64_t header_sum(const Header& h) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum;
}

// The "path" record of a pax extended header ("<len> path=<value>\n" records), or empty.
std::string pax_path(const std::string& records) {
  std::size_t at = 0;
  while (at < records.size()) {
    const std::size_t space = records.find(' ', at);
    if (space == std::string::npos) break;
    const std::size_t len =
        static_cast<std::size_t>(std::strtoull(records.c_str() + at, nullptr, 10));
    if (len == 0 || at + len > records.size()) break;
    const std::string record = records.substr(space + 1, at + len - space - 1);
    if (record.rfind("path=", 0) == 0) {
      std::string value = record.substr(5);
      if (!value.empty() && value.back() == '\n') value.pop_back();
      return value;
    }
    at += len;
  }
  return "";
}

}  // namespace

TarReader::TarReader(const std::filesystem::path& archive) : path_(archive) {
  gz_ = gzopen(archive.c_str(), "rb");
  DEEPOBS_CHECK(gz_ != nullptr, archive.string(), ": cannot open it (", std::strerror(errno), ")");
  gzbuffer(static_cast<gzFile>(gz_), 1 << 18);
}

TarReader::~TarReader() {
  if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

std::size_t TarReader::read_some(void* out, std::size_t bytes) {
  auto* p = static_cast<std::uint8_t*>(out);
  std::size_t got = 0;
  while (got < bytes) {
    const unsigned want = static_cast<unsigned>(std::min<std::size_t>(bytes - got, 1u << 30));
    const int n = gzread(static_cast<gzFile>(gz_), p + got, want);
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(static_cast<gzFile>(gz_), &code);
      throw Error(cat(path_.string(), ": corrupt archive (zlib: ", message ? message : "?", ")"));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  // zlib reports a gzip stream that ends early as an error after the last bytes it could inflate.
  int code = Z_OK;
  const char* message = gzerror(static_cast<gzFile>(gz_), &code);
  if (code != Z_OK && code != Z_STREAM_END)
    throw Error(cat(path_.string(), ": corrupt or truncated archive (zlib: ", message, ")"));
  return got;
}

void TarReader::read_exactly(void* out, std::size_t bytes) {
  DEEPOBS_CHECK(read_some(out, bytes) == bytes, path_.string(),
                ": the archive ends in the middle of a member (truncated download?)");
}

void TarReader::skip(std::uint64_t bytes) {
  std::vector<std::uint8_t> sink(1 << 16);
  while (bytes > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, sink.size()));
    read_exactly(sink.data(), n);
    bytes -= n;
  }
}

bool TarReader::next() {
  skip(unread_);
  unread_ = 0;
  std::string long_name;
  for (;;) {
    Header h{};
    const std::size_t got = read_some(h.data(), kBlock);
    if (got == 0) return false;  // no end-of-archive blocks: accepted, as GNU tar does
    DEEPOBS_CHECK(got == kBlock, path_.string(),
                  ": the archive ends in the middle of a header (truncated download?)");
    if (all_zero(h)) return false;
    std::uint64_t sum = 0, size = 0;
    DEEPOBS_CHECK(number_field(h, 148, 8, &sum) && sum == header_sum(h), path_.string(),
                  ": not a tar archive, or a corrupt one (a header checksum does not match)");
    DEEPOBS_CHECK(number_field(h, 124, 12, &size) && size <= kMaxMemberBytes, path_.string(),
                  ": corrupt tar header (member size field)");
    const char type = static_cast<char>(h[156]);
    if (type == 'L' || type == 'x') {  // GNU long name / pax extended header: the next name
      std::string data(static_cast<std::size_t>(size), '\0');
      read_exactly(data.data(), data.size());
      skip(padded(size) - size);
      long_name = type == 'L' ? std::string(data.c_str()) : pax_path(data);
      continue;
    }
    std::string name = text_field(h, 0, 100);
    // POSIX ustar ("ustar\0" "00") keeps a path prefix at 345; GNU's "ustar  " uses it otherwise.
    if (std::memcmp(h.data() + 257, "ustar", 6) == 0) {
      const std::string prefix = text_field(h, 345, 155);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    if (!long_name.empty()) name = long_name;
    long_name.clear();
    if (type == '0' || type == '\0' || type == '7') {
      name_ = name;
      size_ = size;
      unread_ = padded(size);
      extracted_ = false;
      return true;
    }
    skip(padded(size));  // directories, links, global pax headers, devices: nothing to extract
  }
}

void TarReader::extract(const std::filesystem::path& dest) {
  DEEPOBS_CHECK(!extracted_ && unread_ == padded(size_), "TarReader::extract: ", name_, " of ",
                path_.string(), " was already read");
  std::ofstream out(dest, std::ios::binary | std::ios::trunc);
  DEEPOBS_CHECK(out.good(), "cannot write ", dest.string(), ": ", std::strerror(errno));
  std::vector<char> chunk(1 << 20);
  std::uint64_t left = size_;
  while (left > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
    read_exactly(chunk.data(), n);
    out.write(chunk.data(), static_cast<std::streamsize>(n));
    DEEPOBS_CHECK(out.good(), "cannot write ", dest.string(), " (disk full?)");
    left -= n;
  }
  out.close();
  DEEPOBS_CHECK(!out.fail(), "cannot write ", dest.string(), " (disk full?)");
  unread_ = padded(size_) - size_;
  extracted_ = true;
}

}  // namespace deepobs::datasets
