// The .npy reader and writer (datasets/npy.h) on files written byte by byte here: what numpy 1.x
// and 2.x write (format 1.0 with 16- or 64-byte alignment, 2.0, 3.0), the dtypes DeepOBS's files
// can have, and every malformed variant the reader must refuse with one line naming the file.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/npy.h"
#include "test_datasets_util.h"

namespace deepobs::datasets {
namespace {

using test_util::ints;
using test_util::npy_file;
using test_util::TempDir;
using test_util::write_raw;

using Bytes = std::vector<std::uint8_t>;

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

std::vector<std::int64_t> parsed(const Bytes& file) {
  return parse_npy_int_vector(file, "x.npy").to_vector<std::int64_t>();
}

// The error message for `file`, which must be rejected.
std::string rejection(const Bytes& file) {
  try {
    parse_npy_int_vector(file, "x.npy");
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

#define EXPECT_REJECTED(file, part)                                          \
  do {                                                                       \
    const std::string msg = rejection(file);                                 \
    EXPECT_TRUE(msg.starts_with("x.npy: ")) << msg;                          \
    EXPECT_NE(msg.find(part), std::string::npos) << msg;                     \
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg; \
  } while (0)

TEST(Npy, WritesWhatNumpySaves) {
  // np.save(f, np.array([3, 1, 2])) with numpy 1.24 on x86-64: 128 header bytes (the shape has
  // room for 21 digits), then three little-endian int64.
  const std::string text = npy_int64_bytes(std::vector<std::int64_t>{3, 1, 2});
  std::string expected = "\x93NUMPY\x01";
  expected += '\0';
  expected += "v";  // header length 118 = 0x76
  expected += '\0';
  expected += "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
  expected += std::string(127 - expected.size(), ' ') + "\n";
  ASSERT_EQ(expected.size(), 128u);
  for (const int v : {3, 1, 2}) {
    expected += static_cast<char>(v);
    expected += std::string(7, '\0');
  }
  EXPECT_EQ(text, expected);

  // Longer shapes eat into the growth room; the data stays 64-byte aligned.
  for (const std::size_t n : {0u, 9u, 2612948u}) {
    const std::vector<std::int64_t> v(n, 82);
    const std::string bytes = npy_int64_bytes(v);
    const NpyHeader h = parse_npy_header(
        Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(
                                                 std::min<std::size_t>(bytes.size(), 200))),
        "x.npy");
    EXPECT_EQ(h.data_offset, 128u) << n;
    EXPECT_EQ(bytes.size(), 128u + 8 * n);
    EXPECT_EQ(h.shape, Shape{static_cast<std::int64_t>(n)});
  }
}

TEST(Npy, RoundTrip) {
  const std::vector<std::int64_t> values = {0, 82, 1, 13, 14, -5, std::int64_t{1} << 40};
  const std::string bytes = npy_int64_bytes(values);
  EXPECT_EQ(parsed(Bytes(bytes.begin(), bytes.end())), values);
  TempDir dir;
  write_raw(dir / "a.npy", Bytes(bytes.begin(), bytes.end()));
  const Tensor t = read_npy_int_vector(dir / "a.npy");
  EXPECT_EQ(t.dtype(), DType::I64);
  EXPECT_EQ(t.shape(), Shape{7});
  EXPECT_EQ(t.to_vector<std::int64_t>(), values);
}

TEST(Npy, ReadsEveryFormatAndTheIntegerTypesDeepObsFilesCanHave) {
  const std::vector<std::int64_t> v = {0, 82, 7, 70000};
  // numpy < 1.23 (16-byte alignment, no growth room), Python 2's "3L" shapes, other key orders.
  EXPECT_EQ(parsed(npy_file(dict("<i8", "(4,)"), ints(v, 8))), v);
  EXPECT_EQ(parsed(npy_file(dict("<i8", "(4L,)"), ints(v, 8))), v);
  EXPECT_EQ(parsed(npy_file("{'shape': (4,), 'fortran_order': False, 'descr': '<i8'}", ints(v, 8))),
            v);
  // Format 2.0 and 3.0: a 4-byte header length.
  EXPECT_EQ(parsed(npy_file(dict("<i8", "(4,)"), ints(v, 8), 2, 64)), v);
  EXPECT_EQ(parsed(npy_file(dict("<i8", "(4,)"), ints(v, 8), 3, 64)), v);
  // int32 (numpy's default integer on Windows before numpy 2) and big-endian hosts.
  EXPECT_EQ(parsed(npy_file(dict("<i4", "(4,)"), ints(v, 4))), v);
  EXPECT_EQ(parsed(npy_file(dict(">i8", "(4,)"), ints(v, 8, false))), v);
  EXPECT_EQ(parsed(npy_file(dict(">i4", "(4,)"), ints({-2, 3, 0, 70000}, 4, false))),
            (std::vector<std::int64_t>{-2, 3, 0, 70000}));
  EXPECT_TRUE(parsed(npy_file(dict("<i8", "(0,)"), {})).empty());
}

TEST(Npy, RejectsWhatIsNotADeepObsIdArray) {
  const Bytes data = ints({1, 2, 3}, 8);
  // Not .npy at all.
  EXPECT_REJECTED(Bytes({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}), "not a .npy file");
  EXPECT_REJECTED(Bytes({0x93, 'N', 'U'}), "not a .npy file");
  Bytes v4 = npy_file(dict("<i8", "(3,)"), data);
  v4[6] = 4;
  EXPECT_REJECTED(v4, "unsupported .npy format version 4.0");
  Bytes v11 = npy_file(dict("<i8", "(3,)"), data);
  v11[7] = 1;
  EXPECT_REJECTED(v11, "unsupported .npy format version 1.1");
  // Truncated: in the header, and in the data.
  Bytes file = npy_file(dict("<i8", "(3,)"), data);
  EXPECT_REJECTED(Bytes(file.begin(), file.begin() + 40), "truncated .npy file: the header of");
  EXPECT_REJECTED(Bytes(file.begin(), file.end() - 8),
                  "truncated .npy file: the header promises 3 values of <i8 (24 bytes) but only "
                  "16 bytes follow it");
  Bytes longer = file;
  longer.push_back(0);
  EXPECT_REJECTED(longer, "1 trailing bytes after the 3 values of <i8");
  // Other dtypes: floats, unsigned, other widths, structured.
  EXPECT_REJECTED(npy_file(dict("<f8", "(3,)"), data), "dtype '<f8' is not an integer array");
  EXPECT_REJECTED(npy_file(dict("<u8", "(3,)"), data), "dtype '<u8'");
  EXPECT_REJECTED(npy_file(dict("<i2", "(3,)"), data), "dtype '<i2'");
  EXPECT_REJECTED(npy_file(dict("|u1", "(3,)"), data), "dtype '|u1'");
  EXPECT_REJECTED(
      npy_file("{'descr': [('a', '<i8')], 'fortran_order': False, 'shape': (3,), }", data),
      "structured dtype");
  // Layout and shape.
  EXPECT_REJECTED(npy_file(dict("<i8", "(3,)", true), data), "fortran_order True");
  EXPECT_REJECTED(npy_file(dict("<i8", "(1, 3)"), data), "shape [1,3], expected a 1-D array");
  EXPECT_REJECTED(npy_file(dict("<i8", "()"), ints({1}, 8)), "shape [], expected a 1-D array");
  // Malformed dicts.
  EXPECT_REJECTED(npy_file("{'descr': '<i8', 'shape': (3,), }", data),
                  "the key 'fortran_order' is missing");
  EXPECT_REJECTED(npy_file(dict("<i8", "(3,)").substr(1), data), "expected '{'");
  EXPECT_REJECTED(npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), 'x': 1}", data),
                  "unexpected key 'x'");
  EXPECT_REJECTED(npy_file("{'descr': '<i8', 'descr': '<i8', 'fortran_order': False, 'shape': "
                           "(3,)}",
                           data),
                  "the key 'descr' appears twice");
  EXPECT_REJECTED(npy_file("{'descr': '<i8', 'fortran_order': 0, 'shape': (3,)}", data),
                  "neither True nor False");
  EXPECT_REJECTED(npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (-3,)}", data),
                  "'shape' is not a tuple of non-negative integers");
  EXPECT_REJECTED(npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (3,)} x", data),
                  "text after the closing '}'");
  EXPECT_REJECTED(npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': "
                           "(99999999999999999999,)}",
                           data),
                  "too large");
}

TEST(Npy, EveryPrefixAndEveryByteFlipIsHandled) {
  // Never a crash or an out-of-bounds read (the sanitizer build checks the latter): each prefix
  // of a valid file is rejected, and a flipped byte is either rejected or read as 3 values.
  const Bytes file = npy_file(dict("<i8", "(3,)"), ints({1, 2, 3}, 8));
  for (std::size_t n = 0; n < file.size(); ++n)
    EXPECT_THROW(parse_npy_int_vector(Bytes(file.begin(), file.begin() + n), "x.npy"), Error) << n;
  for (std::size_t i = 0; i < file.size(); ++i) {
    for (const std::uint8_t x : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
      Bytes bad = file;
      bad[i] ^= x;
      try {
        EXPECT_EQ(parse_npy_int_vector(bad, "x.npy").numel(), 3) << i;
      } catch (const Error&) {
      }
    }
  }
}

TEST(Npy, MissingFileNamesThePath) {
  TempDir dir;
  try {
    read_npy_int_vector(dir / "train.npy");
    ADD_FAILURE() << "read a missing file";
  } catch (const Error& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with((dir / "train.npy").string() + ": cannot read"))
        << e.what();
  }
}

}  // namespace
}  // namespace deepobs::datasets
