// Small fixture files in the real formats of CIFAR-10, CIFAR-100 and SVHN for the tests: record
// files, whole data folders in DeepOBS's layout, ustar/GNU tar archives (gzip-compressed with
// zlib) and MATLAB 5 files written with libmatio.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#if DEEPOBS_WITH_MATIO
#include <matio.h>
#endif

namespace deepobs::test_images {

namespace fs = std::filesystem;

constexpr int kSide = 32;
constexpr int kPlane = kSide * kSide;
constexpr int kImage = 3 * kPlane;

// Image byte k (in the file's own order) of example `e`: distinct enough to catch shifts and
// transpositions.
inline std::uint8_t pixel(int e, int k) {
  return static_cast<std::uint8_t>((k * 7 + e * 13 + k / 1024 * 5 + 1) % 256);
}

// One record: label bytes, then the image bytes pixel(e, 0..3071).
inline std::vector<std::uint8_t> record(const std::vector<std::uint8_t>& labels, int e) {
  std::vector<std::uint8_t> r = labels;
  for (int k = 0; k < kImage; ++k)
    r.push_back(pixel(e, k));
  return r;
}

inline void write_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) throw std::runtime_error("cannot write " + path.string());
}

// `n` records with labels (first + e) % classes (CIFAR-100: coarse label e % 20 in front).
inline std::vector<std::uint8_t> records(const std::string& data_set, int first, int n) {
  std::vector<std::uint8_t> out;
  for (int e = first; e < first + n; ++e) {
    std::vector<std::uint8_t> labels;
    if (data_set == "cifar100") {
      labels = {static_cast<std::uint8_t>(e % 20), static_cast<std::uint8_t>(e % 100)};
    } else {
      labels = {static_cast<std::uint8_t>(e % 10)};
    }
    const auto r = record(labels, e);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

// A data folder <root>/<subdir> in DeepOBS's layout with `train` training and `test` test
// records (CIFAR-10: `train` per data_batch file; SVHN: per data_batch file, plus `tail` records
// in train_beyond_64000.bin when tail > 0). Example numbers run on across the files.
inline void write_data_set(const fs::path& root, const std::string& data_set, int train, int test,
                           int tail = 0) {
  int e = 0;
  if (data_set == "cifar10") {
    for (int k = 1; k <= 5; ++k, e += train)
      write_file(root / "cifar-10" / ("data_batch_" + std::to_string(k) + ".bin"),
                 records(data_set, e, train));
    write_file(root / "cifar-10" / "test_batch.bin", records(data_set, 1000, test));
  } else if (data_set == "cifar100") {
    write_file(root / "cifar-100" / "train.bin", records(data_set, 0, train));
    write_file(root / "cifar-100" / "test.bin", records(data_set, 1000, test));
  } else {
    for (int k = 0; k < 5; ++k, e += train)
      write_file(root / "svhn" / ("data_batch_" + std::to_string(k) + ".bin"),
                 records(data_set, e, train));
    write_file(root / "svhn" / "test_batch.bin", records(data_set, 1000, test));
    if (tail > 0) write_file(root / "svhn" / "train_beyond_64000.bin", records(data_set, e, tail));
  }
}

// A tar archive (GNU long names for paths over 99 bytes), gzip-compressed unless plain.
struct TarMember {
  std::string name;
  std::vector<std::uint8_t> data;
  char type = '0';  // '0' file, '5' directory
};

inline void tar_header(std::vector<std::uint8_t>& out, const std::string& name, std::size_t size,
                       char type) {
  std::uint8_t h[512] = {};
  std::memcpy(h, name.data(), std::min<std::size_t>(name.size(), 99));
  std::snprintf(reinterpret_cast<char*>(h + 100), 8, "%07o", 0644);
  std::snprintf(reinterpret_cast<char*>(h + 108), 8, "%07o", 0);
  std::snprintf(reinterpret_cast<char*>(h + 116), 8, "%07o", 0);
  std::snprintf(reinterpret_cast<char*>(h + 124), 12, "%011lo", static_cast<unsigned long>(size));
  std::snprintf(reinterpret_cast<char*>(h + 136), 12, "%011o", 0);
  h[156] = static_cast<std::uint8_t>(type);
  std::memcpy(h + 257, "ustar  ", 8);  // GNU magic and version
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (std::uint8_t b : h)
    sum += b;
  std::snprintf(reinterpret_cast<char*>(h + 148), 8, "%06o", sum);
  h[155] = ' ';
  out.insert(out.end(), h, h + 512);
}

inline void pad_block(std::vector<std::uint8_t>& out) {
  out.resize((out.size() + 511) / 512 * 512, 0);
}

inline std::vector<std::uint8_t> tar_bytes(const std::vector<TarMember>& members) {
  std::vector<std::uint8_t> out;
  for (const auto& m : members) {
    if (m.name.size() > 99) {
      tar_header(out, "././@LongLink", m.name.size() + 1, 'L');
      out.insert(out.end(), m.name.begin(), m.name.end());
      out.push_back(0);
      pad_block(out);
    }
    tar_header(out, m.name, m.data.size(), m.type);
    out.insert(out.end(), m.data.begin(), m.data.end());
    pad_block(out);
  }
  out.resize(out.size() + 1024, 0);  // two zero blocks end the archive
  return out;
}

inline void write_tar_gz(const fs::path& path, const std::vector<TarMember>& members) {
  const auto bytes = tar_bytes(members);
  fs::create_directories(path.parent_path());
  gzFile f = gzopen(path.string().c_str(), "wb1");
  if (f == nullptr) throw std::runtime_error("gzopen " + path.string());
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

#if DEEPOBS_WITH_MATIO
// A MATLAB 5 file like SVHN's: X uint8 [32,32,3,N] with X(row, col, ch, i) = pixel(i, HWC index
// (row·32 + col)·3 + ch), y double [N,1] with y(i) = labels[i].
inline void write_svhn_mat(const fs::path& path, const std::vector<double>& labels,
                           bool compressed = true) {
  const std::size_t n = labels.size();
  std::vector<std::uint8_t> x(n * kImage);
  for (std::size_t i = 0; i < n; ++i)
    for (int row = 0; row < kSide; ++row)
      for (int col = 0; col < kSide; ++col)
        for (int ch = 0; ch < 3; ++ch)
          x[i * kImage + row + kSide * col + kPlane * ch] =
              pixel(static_cast<int>(i), (row * kSide + col) * 3 + ch);
  fs::create_directories(path.parent_path());
  mat_t* mat = Mat_CreateVer(path.string().c_str(), nullptr, MAT_FT_MAT5);
  if (mat == nullptr) throw std::runtime_error("Mat_CreateVer " + path.string());
  std::size_t xdims[4] = {kSide, kSide, 3, n};
  matvar_t* xv = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 4, xdims, x.data(), 0);
  std::vector<double> y = labels;
  std::size_t ydims[2] = {n, 1};
  matvar_t* yv = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, ydims, y.data(), 0);
  const auto mode = compressed ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE;
  const bool ok = xv && yv && Mat_VarWrite(mat, xv, mode) == 0 && Mat_VarWrite(mat, yv, mode) == 0;
  Mat_VarFree(xv);
  Mat_VarFree(yv);
  Mat_Close(mat);
  if (!ok) throw std::runtime_error("writing " + path.string() + " with libmatio failed");
}
#endif

inline std::uintmax_t file_bytes(const fs::path& p) {
  return fs::file_size(p);
}

}  // namespace deepobs::test_images
