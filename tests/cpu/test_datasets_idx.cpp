// The IDX reader: valid raw and gzip files, every error path, and a fuzz test (truncation at every
// byte and random byte flips must give the right tensor or a deepobs::Error, never a crash).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/idx_reader.h"
#include "test_datasets_util.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using test_util::idx_bytes;
using test_util::pattern;
using test_util::TempDir;
using test_util::write_gz;
using test_util::write_raw;

// The message of the deepobs::Error that read_idx(path) throws ("" and a test failure if none).
std::string idx_error(const fs::path& path) {
  try {
    read_idx(path);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "read_idx(" << path << ") did not throw";
  return "";
}

// Every message is one line that starts with the file name.
void expect_error(const fs::path& path, const std::string& needle) {
  const std::string msg = idx_error(path);
  EXPECT_NE(msg.find(needle), std::string::npos) << "message: " << msg;
  EXPECT_EQ(msg.rfind(path.string() + ": ", 0), 0u) << "message: " << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "message: " << msg;
}

void expect_tensor(const Tensor& t, const Shape& shape, const std::vector<std::uint8_t>& data) {
  EXPECT_EQ(t.dtype(), DType::U8);
  EXPECT_EQ(t.shape(), shape);
  EXPECT_EQ(t.to_vector<std::uint8_t>(), data);
}

TEST(IdxReader, ReadsRawImagesAndLabels) {
  TempDir dir;
  const auto pixels = pattern(3 * 4 * 5);
  write_raw(dir / "images", idx_bytes({3, 4, 5}, pixels));
  expect_tensor(read_idx(dir / "images"), {3, 4, 5}, pixels);
  // MNIST's magics are 0x00000803 and 0x00000801.
  EXPECT_EQ(idx_bytes({3, 4, 5}, {})[3], 3);
  const std::vector<std::uint8_t> labels = {5, 0, 4, 1, 9, 2};
  write_raw(dir / "labels", idx_bytes({6}, labels));
  expect_tensor(read_idx(dir / "labels"), {6}, labels);
}

TEST(IdxReader, ReadsGzipAndDetectsItByContentNotName) {
  TempDir dir;
  const auto pixels = pattern(2 * 3 * 3);
  const auto bytes = idx_bytes({2, 3, 3}, pixels);
  write_gz(dir / "images.gz", bytes);
  expect_tensor(read_idx(dir / "images.gz"), {2, 3, 3}, pixels);
  // A gzip file without .gz and a raw file with .gz are both read by content.
  write_gz(dir / "compressed-but-plain-name", bytes);
  expect_tensor(read_idx(dir / "compressed-but-plain-name"), {2, 3, 3}, pixels);
  write_raw(dir / "raw-but-named.gz", bytes);
  expect_tensor(read_idx(dir / "raw-but-named.gz"), {2, 3, 3}, pixels);
}

TEST(IdxReader, ReadsConcatenatedGzipMembers) {
  TempDir dir;
  const auto pixels = pattern(4 * 6);
  const auto bytes = idx_bytes({4, 6}, pixels);
  const std::vector<std::uint8_t> head(bytes.begin(), bytes.begin() + 7);
  const std::vector<std::uint8_t> tail(bytes.begin() + 7, bytes.end());
  write_gz(dir / "multi.gz", head, "wb");
  write_gz(dir / "multi.gz", tail, "ab");
  expect_tensor(read_idx(dir / "multi.gz"), {4, 6}, pixels);
}

TEST(IdxReader, AcceptsAnyRankUpToTheLimitAndEmptyExtents) {
  TempDir dir;
  const auto data = pattern(2 * 1 * 3 * 1 * 2);
  write_raw(dir / "rank5", idx_bytes({2, 1, 3, 1, 2}, data));
  expect_tensor(read_idx(dir / "rank5"), {2, 1, 3, 1, 2}, data);
  write_raw(dir / "empty", idx_bytes({0, 28, 28}, {}));
  expect_tensor(read_idx(dir / "empty"), {0, 28, 28}, {});
  write_raw(dir / "rank8", idx_bytes({1, 1, 1, 1, 1, 1, 1, 2}, {7, 8}));
  expect_tensor(read_idx(dir / "rank8"), {1, 1, 1, 1, 1, 1, 1, 2}, {7, 8});
}

TEST(IdxReader, ParsesBytesInMemory) {
  const auto data = pattern(6);
  const auto bytes = idx_bytes({2, 3}, data);
  expect_tensor(parse_idx(bytes, "mem"), {2, 3}, data);
  const std::vector<std::uint8_t> cut(bytes.begin(), bytes.end() - 1);
  EXPECT_THROW(parse_idx(cut, "mem"), Error);
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_THROW(parse_idx(longer, "mem"), Error);
}

TEST(IdxErrors, MissingFileAndDirectory) {
  TempDir dir;
  expect_error(dir / "nope.gz", "no such file");
  fs::create_directory(dir / "folder");
  expect_error(dir / "folder", "is a directory");
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
  expect_error(dir / "fifo", "not a regular file");
}

TEST(IdxErrors, UnreadableFile) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: file permissions do not stop reading";
  TempDir dir;
  write_raw(dir / "locked", idx_bytes({2}, {1, 2}));
  ASSERT_EQ(chmod((dir / "locked").c_str(), 0), 0);
  expect_error(dir / "locked", "cannot open for reading");
}

TEST(IdxErrors, WrongMagicTypeAndRank) {
  TempDir dir;
  write_raw(dir / "text", {'h', 'e', 'l', 'l', 'o', '\n'});
  expect_error(dir / "text", "not an IDX file: magic bytes 0x68 0x65 0x6c 0x6c");
  write_raw(dir / "float", idx_bytes({2}, {0, 0, 0, 0, 0, 0, 0, 0}, 0x0D));
  expect_error(dir / "float", "unsupported IDX element type 0x0d");
  write_raw(dir / "rank0", idx_bytes({}, {1}));
  expect_error(dir / "rank0", "unsupported IDX rank 0");
  write_raw(dir / "rank9", idx_bytes({1, 1, 1, 1, 1, 1, 1, 1, 1}, {1}));
  expect_error(dir / "rank9", "unsupported IDX rank 9");
  // The same checks apply inside a gzip file.
  write_gz(dir / "float.gz", idx_bytes({2}, {0, 0}, 0x0C));
  expect_error(dir / "float.gz", "unsupported IDX element type 0x0c");
}

TEST(IdxErrors, TruncatedHeaderAndData) {
  TempDir dir;
  write_raw(dir / "empty", {});
  expect_error(dir / "empty", "the file has 0 bytes");
  auto bytes = idx_bytes({3, 4, 5}, pattern(60));
  write_raw(dir / "short_header", {bytes.begin(), bytes.begin() + 9});
  expect_error(dir / "short_header", "the IDX header needs 16 bytes, the file has only 9");
  write_raw(dir / "short_data", {bytes.begin(), bytes.end() - 1});
  expect_error(dir / "short_data", "truncated: the IDX header promises 60 data bytes");
  expect_error(dir / "short_data", "the file has only 59");
  write_gz(dir / "short_data.gz", {bytes.begin(), bytes.end() - 5});
  expect_error(dir / "short_data.gz", "decompressed data has only 55");
}

TEST(IdxErrors, TrailingGarbage) {
  TempDir dir;
  auto bytes = idx_bytes({2, 2}, {1, 2, 3, 4});
  bytes.push_back(9);
  write_raw(dir / "raw", bytes);
  expect_error(dir / "raw", "trailing garbage: 1 byte after the 4 data bytes");
  bytes.insert(bytes.end(), {9, 9});
  write_gz(dir / "gz", bytes);
  expect_error(dir / "gz", "trailing garbage: 3 bytes after the 4 data bytes");
  // Bytes after the gzip stream that are not another gzip member.
  write_gz(dir / "after.gz", idx_bytes({2, 2}, {1, 2, 3, 4}));
  auto gz = test_util::read_raw(dir / "after.gz");
  gz.insert(gz.end(), {'j', 'u', 'n', 'k'});
  write_raw(dir / "after.gz", gz);
  expect_error(dir / "after.gz", "garbage after the end of the gzip stream");
}

TEST(IdxErrors, CorruptAndTruncatedGzip) {
  TempDir dir;
  write_gz(dir / "good.gz", idx_bytes({4, 4}, pattern(16)));
  const auto gz = test_util::read_raw(dir / "good.gz");
  ASSERT_GT(gz.size(), 18u);

  auto bad_crc = gz;
  bad_crc[gz.size() - 8] ^= 0x01;  // the CRC-32 of the trailer
  write_raw(dir / "crc.gz", bad_crc);
  expect_error(dir / "crc.gz", "corrupt gzip stream: incorrect data check");

  auto bad_method = gz;
  bad_method[2] = 7;  // compression method: only 8 (deflate) exists
  write_raw(dir / "method.gz", bad_method);
  expect_error(dir / "method.gz", "corrupt gzip stream: unknown compression method");

  write_raw(dir / "cut.gz", {gz.begin(), gz.end() - 4});  // all data, no length trailer
  expect_error(dir / "cut.gz", "truncated gzip file");
  // Cut inside the deflate data: the message says how far it got and what was promised.
  write_gz(dir / "big.gz", idx_bytes({64, 64}, pattern(64 * 64)));
  const auto big = test_util::read_raw(dir / "big.gz");
  write_raw(dir / "half.gz",
            {big.begin(), big.begin() + static_cast<std::ptrdiff_t>(big.size() / 2)});
  expect_error(dir / "half.gz", " of the 4108 the IDX file promises");
}

TEST(IdxErrors, AbsurdSizesAreRejectedBeforeAllocating) {
  TempDir dir;
  write_raw(dir / "huge", idx_bytes({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}));
  expect_error(dir / "huge", "IDX header declares shape [4294967295,4294967295,4294967295]");
  // 2^16 · 2^16 · 2 bytes = 8 GiB: no overflow, but above the 4 GiB cap.
  write_raw(dir / "big", idx_bytes({65536, 65536, 2}, {}));
  expect_error(dir / "big", "more than the 4294967296 bytes");
  // A tiny gzip file cannot hold a gigabyte.
  write_gz(dir / "bomb.gz", idx_bytes({1000, 1000, 1000}, pattern(10)));
  expect_error(dir / "bomb.gz", "more than a gzip file of");
  // A raw file declaring 3 GB but holding 10 bytes is reported as truncated, not allocated.
  write_raw(dir / "liar", idx_bytes({1000, 1000, 3000}, pattern(10)));
  expect_error(dir / "liar", "promises 3000000000 data bytes");
}

// Every prefix of a valid file is an error; the full file is the right tensor.
void fuzz_truncations(const TempDir& dir, const std::vector<std::uint8_t>& file, const Shape& shape,
                      const std::vector<std::uint8_t>& data) {
  for (std::size_t n = 0; n <= file.size(); ++n) {
    const fs::path p = dir / ("cut" + std::to_string(n));
    write_raw(p, {file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n)});
    if (n == file.size()) {
      expect_tensor(read_idx(p), shape, data);
    } else {
      EXPECT_THROW(read_idx(p), Error) << "prefix of " << n << " of " << file.size() << " bytes";
    }
    fs::remove(p);
  }
}

TEST(IdxFuzz, TruncationAtEveryByte) {
  TempDir dir;
  const auto data = pattern(2 * 3 * 4);
  const auto raw = idx_bytes({2, 3, 4}, data);
  fuzz_truncations(dir, raw, {2, 3, 4}, data);
  write_gz(dir / "full.gz", raw);
  fuzz_truncations(dir, test_util::read_raw(dir / "full.gz"), {2, 3, 4}, data);
}

// Random byte flips: a deepobs::Error or a tensor; for a raw file that parses, the tensor must be
// exactly the (flipped) payload. Anything else (another exception, a crash) fails.
TEST(IdxFuzz, RandomByteFlips) {
  TempDir dir;
  const auto data = pattern(3 * 5 * 4);
  const auto raw = idx_bytes({3, 5, 4}, data);
  write_gz(dir / "ref.gz", raw);
  const auto gz = test_util::read_raw(dir / "ref.gz");
  std::mt19937 rng(12345);
  int errors = 0, successes = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const bool use_gz = trial % 2 == 1;
    auto bytes = use_gz ? gz : raw;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f)
      bytes[rng() % bytes.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    const fs::path p = dir / "flipped";
    write_raw(p, bytes);
    try {
      const Tensor t = read_idx(p);
      ++successes;
      ASSERT_EQ(t.dtype(), DType::U8);
      if (!use_gz) {
        const std::size_t header = 4 + 4 * static_cast<std::size_t>(t.dim());
        ASSERT_EQ(static_cast<std::size_t>(t.numel()) + header, bytes.size());
        EXPECT_EQ(t.to_vector<std::uint8_t>(),
                  std::vector<std::uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(header),
                                            bytes.end()));
      }
    } catch (const Error& e) {
      ++errors;
      EXPECT_EQ(std::string(e.what()).rfind(p.string() + ": ", 0), 0u) << e.what();
    }
  }
  // Flips in the payload of a raw file parse; flips in a header or a gzip stream mostly fail.
  EXPECT_GT(errors, 0);
  EXPECT_GT(successes, 0);
}

}  // namespace
}  // namespace deepobs::datasets
