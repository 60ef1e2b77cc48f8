// Helpers shared by the test_datasets_*.cpp files: a self-removing temporary folder and writers
// for small IDX files (raw or gzip-compressed through zlib's gzopen).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

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

}  // namespace deepobs::datasets::test_util
