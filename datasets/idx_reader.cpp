#include "datasets/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>
#include <vector>

#include "core/error.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;

constexpr std::uint8_t kIdxTypeU8 = 0x08;
constexpr std::size_t kMaxHeaderBytes = 4 + 4 * kIdxMaxRank;
// Deflate cannot expand data by more than about 1032:1, so a gzip file of C bytes holds at most
// ~1032·C bytes. A header promising more is corrupt, and checking this before allocating bounds
// what a corrupt small file can make us allocate.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
// When the decompressed stream goes on past the promised data we count the extra bytes, but stop
// counting here so that a gzip bomb cannot keep us busy.
constexpr std::uint64_t kTrailingCountLimit = std::uint64_t{1} << 20;

std::string hex_byte(std::uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string{"0x"} + kDigits[b >> 4] + kDigits[b & 15];
}

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// What the header says: the extents and the number of bytes of header and payload.
struct IdxHeader {
  Shape shape;
  std::size_t header_bytes = 0;
  std::uint64_t data_bytes = 0;
};

// Validates the 4 magic bytes and returns the full header length they announce.
std::size_t check_magic(const std::uint8_t* magic, const std::string& name) {
  DEEPOBS_CHECK(magic[0] == 0 && magic[1] == 0, name, ": not an IDX file: magic bytes ",
                hex_byte(magic[0]), " ", hex_byte(magic[1]), " ", hex_byte(magic[2]), " ",
                hex_byte(magic[3]), " (an IDX file starts with 0x00 0x00, the element type and",
                " the rank; MNIST images are 0x00000803, labels 0x00000801)");
  DEEPOBS_CHECK(magic[2] == kIdxTypeU8, name, ": unsupported IDX element type ", hex_byte(magic[2]),
                " (only 0x08, unsigned byte, is supported)");
  const int rank = magic[3];
  DEEPOBS_CHECK(rank >= 1 && rank <= kIdxMaxRank, name, ": unsupported IDX rank ", rank,
                " (supported: 1 to ", kIdxMaxRank, ")");
  return 4 + 4 * static_cast<std::size_t>(rank);
}

// Parses a complete header (`bytes` holds at least the length check_magic announced).
IdxHeader parse_header(const std::uint8_t* bytes, const std::string& name) {
  IdxHeader h;
  h.header_bytes = check_magic(bytes, name);
  const int rank = bytes[3];
  // The product of the non-zero extents is bounded first (by division, so that the check cannot
  // overflow); that also keeps shape_numel() of the result from overflowing.
  std::uint64_t nonzero_product = 1;
  bool has_zero = false;
  bool too_large = false;
  for (int d = 0; d < rank; ++d) {
    const std::uint32_t extent = read_be32(bytes + 4 + 4 * d);
    h.shape.push_back(static_cast<std::int64_t>(extent));
    if (extent == 0) {
      has_zero = true;
    } else if (nonzero_product > kIdxMaxDataBytes / extent) {
      too_large = true;
    } else {
      nonzero_product *= extent;
    }
  }
  DEEPOBS_CHECK(!too_large, name, ": IDX header declares shape ", shape_str(h.shape),
                ", more than the ", kIdxMaxDataBytes,
                " bytes this reader accepts (corrupt header?)");
  h.data_bytes = has_zero ? 0 : nonzero_product;
  return h;
}

std::string truncated_message(const std::string& name, const IdxHeader& h, std::uint64_t have,
                              const char* what) {
  return cat(name, ": truncated: the IDX header promises ", h.data_bytes, " data bytes (shape ",
             shape_str(h.shape), ") but the ", what, " has only ", have);
}

// `more_than`: the count stopped at kTrailingCountLimit.
std::string trailing_message(const std::string& name, const IdxHeader& h, std::uint64_t extra,
                             bool more_than) {
  return cat(name, ": trailing garbage: ", more_than ? "more than " : "", extra,
             extra == 1 ? " byte" : " bytes", " after the ", h.data_bytes,
             " data bytes the IDX header promises (shape ", shape_str(h.shape), ")");
}

// ---- plain files ----

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_for_reading(const fs::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = fs::status(path, ec);
  DEEPOBS_CHECK(status.type() != fs::file_type::not_found, name, ": no such file");
  DEEPOBS_CHECK(!ec, name, ": cannot access: ", ec.message());
  DEEPOBS_CHECK(status.type() != fs::file_type::directory, name,
                ": is a directory, not an IDX file");
  // Reject FIFOs, devices and sockets before opening: fopen could block on them, and the size
  // checks below need a regular file.
  DEEPOBS_CHECK(status.type() == fs::file_type::regular, name, ": not a regular file");
  errno = 0;
  File f(std::fopen(name.c_str(), "rb"));
  DEEPOBS_CHECK(f != nullptr, name,
                ": cannot open for reading: ", errno != 0 ? std::strerror(errno) : "unknown error");
  return f;
}

// Reads up to n bytes; throws on an I/O error (not on end of file).
std::size_t read_some(std::FILE* f, void* out, std::size_t n, const std::string& name) {
  const std::size_t got = std::fread(out, 1, n, f);
  DEEPOBS_CHECK(got == n || !std::ferror(f), name, ": read error: ", std::strerror(errno));
  return got;
}

std::uint64_t size_of_file(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  DEEPOBS_CHECK(!ec, path.string(), ": cannot determine the file size: ", ec.message());
  return size;
}

Tensor read_raw(std::FILE* f, const fs::path& path) {
  const std::string name = path.string();
  const std::uint64_t size = size_of_file(path);
  std::array<std::uint8_t, kMaxHeaderBytes> head{};
  const std::size_t got = read_some(f, head.data(), head.size(), name);
  DEEPOBS_CHECK(got >= 4, name, ": truncated: the file has ", got,
                " bytes, fewer than the 4 of an IDX magic number");
  const std::size_t need = check_magic(head.data(), name);
  DEEPOBS_CHECK(got >= need, name, ": truncated: the IDX header needs ", need,
                " bytes, the file has only ", got);
  const IdxHeader h = parse_header(head.data(), name);
  const std::uint64_t have = size >= h.header_bytes ? size - h.header_bytes : 0;
  if (have < h.data_bytes) throw Error(truncated_message(name, h, have, "file"));
  if (have > h.data_bytes) throw Error(trailing_message(name, h, have - h.data_bytes, false));

  Tensor out = Tensor::empty(h.shape, DType::U8);
  DEEPOBS_CHECK(std::fseek(f, static_cast<long>(h.header_bytes), SEEK_SET) == 0, name,
                ": cannot seek: ", std::strerror(errno));
  const std::size_t n = static_cast<std::size_t>(h.data_bytes);
  const std::size_t read = n == 0 ? 0 : read_some(f, out.raw_data(), n, name);
  // The size was checked above, so a short read means the file changed while we read it.
  if (read < n) throw Error(truncated_message(name, h, read, "file"));
  return out;
}

// ---- gzip files ----

// Streams the decompressed bytes of a gzip file (one member or several concatenated ones).
class GzipStream {
 public:
  GzipStream(std::FILE* f, std::string name) : file_(f), name_(std::move(name)), in_(1 << 18) {
    std::memset(&zs_, 0, sizeof zs_);
    // 16 + MAX_WBITS: expect the gzip wrapper (header, CRC-32 and length trailer are checked).
    const int rc = inflateInit2(&zs_, 16 + MAX_WBITS);
    DEEPOBS_CHECK(rc == Z_OK, name_, ": cannot initialise zlib: ", zError(rc));
  }
  ~GzipStream() { inflateEnd(&zs_); }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // The total decompressed size the IDX header announced (header + data), for messages.
  void set_promised(std::uint64_t bytes) { promised_ = bytes; }

  // Decompresses up to n bytes into out; returns fewer only at the clean end of the data. Throws on
  // a corrupt or truncated stream and on bytes after the last member that are not another member.
  std::size_t read(std::uint8_t* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      if (zs_.avail_in == 0) refill();
      if (member_ended_) {
        if (zs_.avail_in == 0) break;  // clean end: no input after the last member
        if (zs_.avail_in < 2) refill();
        const bool another_member =
            zs_.avail_in >= 2 && zs_.next_in[0] == 0x1f && zs_.next_in[1] == 0x8b;
        DEEPOBS_CHECK(another_member, name_, ": garbage after the end of the gzip stream (",
                      decompressed_, " bytes decompressed)");
        const int rc = inflateReset(&zs_);
        DEEPOBS_CHECK(rc == Z_OK, name_, ": zlib: ", zError(rc));
        member_ended_ = false;
      }
      if (zs_.avail_in == 0) {
        throw Error(cat(name_, ": truncated gzip file: the compressed stream ends after ",
                        decompressed_, " decompressed bytes",
                        promised_ > 0 ? cat(" of the ", promised_, " the IDX file promises") : ""));
      }
      const std::size_t chunk = std::min<std::size_t>(n - got, UINT_MAX);
      zs_.next_out = out + got;
      zs_.avail_out = static_cast<uInt>(chunk);
      const uInt in_before = zs_.avail_in;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      const std::size_t produced = chunk - zs_.avail_out;
      got += produced;
      decompressed_ += produced;
      switch (rc) {
        case Z_OK:
          break;
        case Z_STREAM_END:
          member_ended_ = true;
          break;
        case Z_BUF_ERROR:
          // No progress was possible. That only happens when the input ran dry (refilled at the
          // top of the loop); anything else would loop forever, so report it.
          DEEPOBS_CHECK(produced > 0 || zs_.avail_in != in_before, name_,
                        ": corrupt gzip stream: inflate made no progress");
          break;
        case Z_MEM_ERROR:
          throw Error(cat(name_, ": out of memory while decompressing"));
        default:  // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
          throw Error(cat(name_, ": corrupt gzip stream: ", zs_.msg ? zs_.msg : zError(rc),
                          " (after ", decompressed_, " decompressed bytes)"));
      }
    }
    return got;
  }

 private:
  // Moves unread input to the front of the buffer and appends more from the file.
  void refill() {
    if (input_eof_) return;
    if (zs_.avail_in > 0 && zs_.next_in != in_.data())
      std::memmove(in_.data(), zs_.next_in, zs_.avail_in);
    const std::size_t got =
        read_some(file_, in_.data() + zs_.avail_in, in_.size() - zs_.avail_in, name_);
    if (got == 0) input_eof_ = true;
    zs_.next_in = in_.data();
    zs_.avail_in += static_cast<uInt>(got);
  }

  std::FILE* file_;
  std::string name_;
  std::vector<std::uint8_t> in_;
  z_stream zs_;
  bool input_eof_ = false;
  bool member_ended_ = false;
  std::uint64_t decompressed_ = 0;
  std::uint64_t promised_ = 0;
};

Tensor read_gzip(std::FILE* f, const fs::path& path) {
  const std::string name = path.string();
  const std::uint64_t compressed = size_of_file(path);
  GzipStream gz(f, name);
  std::array<std::uint8_t, kMaxHeaderBytes> head{};
  std::size_t got = gz.read(head.data(), 4);
  DEEPOBS_CHECK(got == 4, name, ": truncated: the decompressed data has ", got,
                " bytes, fewer than the 4 of an IDX magic number");
  const std::size_t need = check_magic(head.data(), name);
  got += gz.read(head.data() + 4, need - 4);
  DEEPOBS_CHECK(got == need, name, ": truncated: the IDX header needs ", need,
                " bytes, the decompressed data has only ", got);
  const IdxHeader h = parse_header(head.data(), name);
  DEEPOBS_CHECK(h.data_bytes <= kMaxDeflateRatio * compressed, name,
                ": truncated or corrupt: the IDX header promises ", h.data_bytes,
                " data bytes (shape ", shape_str(h.shape), "), more than a gzip file of ",
                compressed, " bytes can hold");

  gz.set_promised(h.header_bytes + h.data_bytes);
  Tensor out = Tensor::empty(h.shape, DType::U8);
  const std::size_t n = static_cast<std::size_t>(h.data_bytes);
  const std::size_t read = n == 0 ? 0 : gz.read(out.data<std::uint8_t>(), n);
  if (read < n) throw Error(truncated_message(name, h, read, "decompressed data"));

  // Drain the rest: this both detects data past the promised payload and makes zlib verify the
  // CRC-32 and length in the gzip trailer.
  std::array<std::uint8_t, 1 << 14> scratch{};
  std::uint64_t extra = 0;
  while (extra <= kTrailingCountLimit) {
    const std::size_t more = gz.read(scratch.data(), scratch.size());
    extra += more;
    if (more < scratch.size()) break;
  }
  if (extra > 0) {
    const bool more_than = extra > kTrailingCountLimit;
    throw Error(trailing_message(name, h, more_than ? kTrailingCountLimit : extra, more_than));
  }
  return out;
}

}  // namespace

Tensor read_idx(const fs::path& path) {
  File f = open_for_reading(path);
  std::array<std::uint8_t, 2> sniff{};
  const std::size_t got = read_some(f.get(), sniff.data(), sniff.size(), path.string());
  DEEPOBS_CHECK(std::fseek(f.get(), 0, SEEK_SET) == 0, path.string(),
                ": cannot seek: ", std::strerror(errno));
  const bool gzip = got == 2 && sniff[0] == 0x1f && sniff[1] == 0x8b;
  return gzip ? read_gzip(f.get(), path) : read_raw(f.get(), path);
}

Tensor parse_idx(std::span<const std::uint8_t> bytes, const std::string& name) {
  DEEPOBS_CHECK(bytes.size() >= 4, name, ": truncated: ", bytes.size(),
                " bytes, fewer than the 4 of an IDX magic number");
  const std::size_t need = check_magic(bytes.data(), name);
  DEEPOBS_CHECK(bytes.size() >= need, name, ": truncated: the IDX header needs ", need,
                " bytes, got only ", bytes.size());
  const IdxHeader h = parse_header(bytes.data(), name);
  const std::uint64_t have = bytes.size() - h.header_bytes;
  if (have < h.data_bytes) throw Error(truncated_message(name, h, have, "buffer"));
  if (have > h.data_bytes) throw Error(trailing_message(name, h, have - h.data_bytes, false));
  Tensor out = Tensor::empty(h.shape, DType::U8);
  if (h.data_bytes > 0)
    std::memcpy(out.raw_data(), bytes.data() + h.header_bytes, static_cast<std::size_t>(have));
  return out;
}

}  // namespace deepobs::datasets
