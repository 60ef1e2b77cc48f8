// Helpers shared by the test_datasets_*.cpp and test_prepare_*.cpp files: a self-removing
// temporary folder, writers for small IDX files (raw or gzip-compressed through zlib's gzopen),
// and file:// downloads through curl.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "datasets/download.h"
#include "runner/prepare_data_command.h"

namespace deepobs::datasets::test_util {

// A fresh, empty folder under the system temp folder, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string tag = info ? std::string(info->test_suite_name()) + "_" + info->name() : "x";
    for (char& c : tag)
      if (c == '/') c = '_';
    path_ = std::filesystem::temp_directory_path() / ("deepobs_data_" + std::to_string(getpid()) +
                                                      "_" + std::to_string(counter++) + "_" + tag);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The bytes of an IDX file: magic {0, 0, type, rank}, big-endian extents, then `data`.
inline std::vector<std::uint8_t> idx_bytes(const std::vector<std::uint32_t>& extents,
                                           const std::vector<std::uint8_t>& data,
                                           std::uint8_t type = 0x08) {
  std::vector<std::uint8_t> out = {0, 0, type, static_cast<std::uint8_t>(extents.size())};
  for (std::uint32_t e : extents) {
    out.push_back(static_cast<std::uint8_t>(e >> 24));
    out.push_back(static_cast<std::uint8_t>(e >> 16));
    out.push_back(static_cast<std::uint8_t>(e >> 8));
    out.push_back(static_cast<std::uint8_t>(e));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline void write_raw(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline std::vector<std::uint8_t> read_raw(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Writes `bytes` as one gzip member (mode "wb", or "ab" to append another member).
inline void write_gz(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes,
                     const char* mode = "wb") {
  gzFile f = gzopen(path.string().c_str(), mode);
  ASSERT_NE(f, nullptr) << "gzopen " << path;
  if (!bytes.empty()) {
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
  }
  ASSERT_EQ(gzclose(f), Z_OK);
}

// The names in `dir`, sorted (empty when it does not exist).
inline std::vector<std::string> entries(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// 0, 7, 14, ... (mod 256): distinct enough to catch reordering.
inline std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return v;
}

// A .npy image: magic, version major.0, header length (2 bytes for 1.0, else 4), the dict text
// padded with spaces and a final '\n' so that the data starts at a multiple of `align` (numpy
// before 1.23 aligned to 16, later versions to 64), then the data.
inline std::vector<std::uint8_t> npy_file(const std::string& dict,
                                          const std::vector<std::uint8_t>& data, int major = 1,
                                          std::size_t align = 16) {
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  std::string header = dict;
  while ((8 + len_bytes + header.size() + 1) % align != 0)
    header += ' ';
  header += '\n';
  // Sized once and filled in place: GCC 12 with -march=x86-64-v3 reports a false
  // -Wstringop-overflow inside vector::insert/push_back's reallocation here.
  std::vector<std::uint8_t> out(8 + len_bytes + header.size() + data.size());
  const std::uint8_t magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major),
                                 0};
  std::uint8_t* at = std::copy(std::begin(magic), std::end(magic), out.data());
  for (std::size_t b = 0; b < len_bytes; ++b)
    *at++ = static_cast<std::uint8_t>(header.size() >> (8 * b));
  at = std::copy(header.begin(), header.end(), at);
  std::copy(data.begin(), data.end(), at);
  return out;
}

// `values` as `bytes`-wide two's-complement integers, little- or big-endian.
inline std::vector<std::uint8_t> ints(const std::vector<std::int64_t>& values, int bytes,
                                      bool little = true) {
  std::vector<std::uint8_t> out;
  for (const std::int64_t v : values) {
    const auto u = static_cast<std::uint64_t>(v);
    for (int b = 0; b < bytes; ++b)
      out.push_back(static_cast<std::uint8_t>(u >> (8 * (little ? b : bytes - 1 - b))));
  }
  return out;
}

// The folder as a file:// URL base (ending in '/').
inline std::string file_url(const std::filesystem::path& dir) {
  return "file://" + std::filesystem::absolute(dir).string() + "/";
}

// curl when it is installed: the tests' downloads are file:// URLs, which wget cannot fetch.
inline std::optional<Downloader> curl() {
  auto d = find_downloader();
  if (d && d->kind == Downloader::Kind::Curl) return d;
  return std::nullopt;
}

// `deepobs prepare-data <args>` run in-process: its exit code and what it printed.
struct CommandResult {
  int code;
  std::string out, err;
};

inline CommandResult run_prepare(std::vector<std::string> args) {
  args.insert(args.begin(), "prepare-data");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code =
      runner::prepare_data_command(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace deepobs::datasets::test_util

#define REQUIRE_CURL()                                                                     \
  do {                                                                                     \
    if (!::deepobs::datasets::test_util::curl()) {                                         \
      GTEST_SKIP() << (::deepobs::datasets::find_downloader()                              \
                           ? "curl is not installed and wget cannot fetch file:// URLs "   \
                             "(apt-get install curl)"                                      \
                           : "neither curl nor wget is installed (apt-get install curl)"); \
    }                                                                                      \
  } while (0)
