// SVHN's MATLAB files (train_32x32.mat, test_32x32.mat from ufldl.stanford.edu, MATLAB 5 format)
// read with libmatio and turned into DeepOBS's SVHN records, as DeepOBS's _svhn_preprocess.py
// does (SPEC §4.5): per image one label byte (10, the digit 0, mapped to 0) and the 32×32×3 image
// bytes in HWC order (row, column, channel), i.e. X(row, col, channel, i) of the MATLAB array
// [32, 32, 3, N] written row-major.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace deepobs::datasets {

// Whether this build can read .mat files (configured with libmatio, the default; the GPU check
// machine builds without it).
bool svhn_mat_supported();

// The images of one .mat file as DeepOBS's SVHN records: count × 3,073 bytes.
struct SvhnRecords {
  std::int64_t count = 0;
  std::vector<std::uint8_t> bytes;
};

// Reads `path`: variables X (uint8 [32,32,3,N]) and y (numeric [N,1] or [1,N], every value an
// integer 0..10). Throws deepobs::Error with one line naming the file and `deepobs prepare-data
// svhn` when it is not a readable MATLAB file (libmatio's own message is quoted), lacks X or y,
// has other types or shapes, a label outside 0..10, or (expected_count >= 0) another image count;
// and in a build without libmatio.
SvhnRecords svhn_records_from_mat(const std::filesystem::path& path,
                                  std::int64_t expected_count = -1);

}  // namespace deepobs::datasets
