#include "datasets/npy.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/error.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "\x93NUMPY";
// Magic, two version bytes.
constexpr std::size_t kPrefixBytes = 8;
// numpy aligns the data to this many bytes (format.ARRAY_ALIGN) and leaves room in the header for
// a first extent of this many digits (format.GROWTH_AXIS_MAX_DIGITS, numpy >= 1.23).
constexpr std::size_t kAlign = 64;
constexpr std::size_t kGrowthDigits = 21;
// Largest file read (bytes): DeepOBS's train.npy is 21 MB; a far larger file is not one of them,
// and the cap bounds what a wrong path makes us read.
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{1} << 32;

std::string hex_byte(std::uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string{"0x"} + kDigits[b >> 4] + kDigits[b & 15];
}

// A cursor over the header dict text, with the parse errors of one place.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  NpyHeader parse() {
    NpyHeader h;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_space();
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = string_literal("a key");
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        check_once(seen_descr, key);
        if (peek() == '[')
          fail("'descr' is a list (a structured dtype); DeepOBS's files hold plain integers");
        h.descr = string_literal("the value of 'descr'");
      } else if (key == "fortran_order") {
        check_once(seen_order, key);
        h.fortran_order = boolean();
      } else if (key == "shape") {
        check_once(seen_shape, key);
        h.shape = tuple();
      } else {
        fail(cat("unexpected key '", key, "' (a .npy header has 'descr', 'fortran_order' and ",
                 "'shape')"));
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      expect('}');
      break;
    }
    skip_space();
    if (pos_ != text_.size()) fail("text after the closing '}'");
    if (!seen_descr || !seen_order || !seen_shape)
      fail(cat("the key '",
               !seen_descr   ? "descr"
               : !seen_order ? "fortran_order"
                             : "shape",
               "' is missing"));
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(cat(name_, ": malformed .npy header: ", what, " (header: ", shown(), ")"));
  }

  // The header as it can be shown on one line: printable ASCII kept, the rest escaped.
  std::string shown() const {
    std::string out;
    for (char c : text_.substr(0, 200)) {
      const auto u = static_cast<unsigned char>(c);
      if (u == '\n') {
        out += "\\n";
      } else if (u < 0x20 || u >= 0x7f) {
        out += "\\x" + hex_byte(u).substr(2);
      } else {
        out += c;
      }
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    if (text_.size() > 200) out += "...";
    return out;
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r'))
      ++pos_;
  }

  void expect(char c) {
    if (peek() != c) fail(cat("expected '", c, "' at character ", pos_));
    ++pos_;
  }

  void check_once(bool& seen, const std::string& key) const {
    if (seen) fail(cat("the key '", key, "' appears twice"));
    seen = true;
  }

  // A Python string literal in single or double quotes, without escapes (numpy writes none).
  std::string string_literal(const char* what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(cat("expected a quoted string as ", what));
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("an unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    if (s.find('\\') != std::string::npos) fail("an escape sequence in a string");
    pos_ = end + 1;
    return s;
  }

  bool boolean() {
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const std::string_view w(word);
      if (text_.substr(pos_, w.size()) == w) {
        pos_ += w.size();
        return value;
      }
    }
    fail("'fortran_order' is neither True nor False");
  }

  // A tuple of non-negative integers: (), (n,), (n, m), ... — Python 2 wrote longs as "3L".
  Shape tuple() {
    expect('(');
    Shape shape;
    for (;;) {
      skip_space();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("'shape' is not a tuple of non-negative integers");
      std::int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (INT64_MAX - 9) / 10) fail("an extent in 'shape' is too large");
        v = v * 10 + (peek() - '0');
        ++pos_;
      }
      if (peek() == 'L') ++pos_;
      shape.push_back(v);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail("'shape' is not a tuple of non-negative integers");
    }
    ++pos_;
    return shape;
  }

  std::string_view text_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

std::uint32_t read_le(const std::uint8_t* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

// The element type of an accepted descr.
struct IntType {
  int bytes;
  bool little_endian;
};

std::optional<IntType> accepted_type(const std::string& descr) {
  if (descr == "<i8") return IntType{8, true};
  if (descr == "<i4") return IntType{4, true};
  if (descr == ">i8") return IntType{8, false};
  if (descr == ">i4") return IntType{4, false};
  return std::nullopt;
}

std::int64_t decode(const std::uint8_t* p, IntType t) {
  std::uint64_t v = 0;
  for (int i = 0; i < t.bytes; ++i)
    v = (v << 8) | p[t.little_endian ? t.bytes - 1 - i : i];
  if (t.bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

}  // namespace

NpyHeader parse_npy_header(std::span<const std::uint8_t> bytes, const std::string& name) {
  DEEPOBS_CHECK(bytes.size() >= kPrefixBytes, name, ": not a .npy file: only ", bytes.size(),
                " bytes (a .npy file starts with the 6-byte magic \\x93NUMPY and a version)");
  DEEPOBS_CHECK(std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) == 0, name,
                ": not a .npy file: it does not start with the magic \\x93NUMPY");
  NpyHeader h;
  h.major = bytes[6];
  h.minor = bytes[7];
  DEEPOBS_CHECK((h.major == 1 || h.major == 2 || h.major == 3) && h.minor == 0, name,
                ": unsupported .npy format version ", h.major, ".", h.minor,
                " (supported: 1.0, 2.0, 3.0)");
  const int len_bytes = h.major == 1 ? 2 : 4;
  DEEPOBS_CHECK(bytes.size() >= kPrefixBytes + len_bytes, name,
                ": truncated .npy file: it ends inside the header length");
  const std::size_t header_len = read_le(bytes.data() + kPrefixBytes, len_bytes);
  h.data_offset = kPrefixBytes + len_bytes + header_len;
  DEEPOBS_CHECK(h.data_offset <= bytes.size(), name, ": truncated .npy file: the header of ",
                header_len, " bytes runs past the end of the file (", bytes.size(), " bytes)");
  const std::string_view text(
      reinterpret_cast<const char*>(bytes.data()) + kPrefixBytes + len_bytes, header_len);
  // Versions 1.0 and 2.0 are latin-1 text and 3.0 is UTF-8; every character a valid header can
  // hold is ASCII, so both are read byte by byte (a non-ASCII byte fails the parse).
  const NpyHeader parsed = HeaderParser(text, name).parse();
  h.descr = parsed.descr;
  h.fortran_order = parsed.fortran_order;
  h.shape = parsed.shape;
  return h;
}

Tensor parse_npy_int_vector(std::span<const std::uint8_t> bytes, const std::string& name) {
  const NpyHeader h = parse_npy_header(bytes, name);
  const auto type = accepted_type(h.descr);
  DEEPOBS_CHECK(type.has_value(), name, ": .npy dtype '", h.descr,
                "' is not an integer array as DeepOBS writes one ('<i8'; '<i4', '>i8' or '>i4' ",
                "from other machines)");
  DEEPOBS_CHECK(!h.fortran_order, name,
                ": .npy header says fortran_order True; expected False as np.save writes for a "
                "1-D array");
  DEEPOBS_CHECK(h.shape.size() == 1, name, ": .npy array has shape ", shape_str(h.shape),
                ", expected a 1-D array of character ids");
  const std::int64_t n = h.shape[0];
  const std::uint64_t available = bytes.size() - h.data_offset;
  const std::uint64_t promised = static_cast<std::uint64_t>(n) * type->bytes;
  DEEPOBS_CHECK(n <= static_cast<std::int64_t>(available / type->bytes) && available >= promised,
                name, ": truncated .npy file: the header promises ", n, " values of ", h.descr,
                " (", promised, " bytes) but only ", available, " bytes follow it");
  DEEPOBS_CHECK(available == promised, name, ": ", available - promised,
                " trailing bytes after the ", n, " values of ", h.descr,
                " the .npy header promises (a different or damaged file)");
  Tensor out = Tensor::empty({n}, DType::I64);
  std::int64_t* dst = out.data<std::int64_t>();
  const std::uint8_t* src = bytes.data() + h.data_offset;
  for (std::int64_t i = 0; i < n; ++i)
    dst[i] = decode(src + i * type->bytes, *type);
  return out;
}

Tensor read_npy_int_vector(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  DEEPOBS_CHECK(!ec, path.string(), ": cannot read: ", ec.message());
  DEEPOBS_CHECK(size <= kMaxFileBytes, path.string(), ": ", size,
                " bytes is far larger than any DeepOBS .npy file");
  std::ifstream in(path, std::ios::binary);
  DEEPOBS_CHECK(in.good(), path.string(), ": cannot read: ", std::strerror(errno));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  DEEPOBS_CHECK(in.gcount() == static_cast<std::streamsize>(bytes.size()), path.string(),
                ": cannot read: the file ended after ", in.gcount(), " of ", size, " bytes");
  return parse_npy_int_vector(bytes, path.string());
}

std::string npy_int64_bytes(std::span<const std::int64_t> values) {
  std::string header =
      cat("{'descr': '<i8', 'fortran_order': False, 'shape': (", values.size(), ",), }");
  header.append(kGrowthDigits - std::to_string(values.size()).size(), ' ');
  // numpy's _wrap_header: the '\n' counts, and an already aligned length still gets a full block.
  const std::size_t unpadded = kPrefixBytes + 2 + header.size() + 1;
  header.append(kAlign - unpadded % kAlign, ' ');
  header += '\n';
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.reserve(out.size() + values.size() * 8);
  for (const std::int64_t v : values) {
    const auto u = static_cast<std::uint64_t>(v);
    for (int b = 0; b < 8; ++b)
      out += static_cast<char>((u >> (8 * b)) & 0xff);
  }
  return out;
}

}  // namespace deepobs::datasets
