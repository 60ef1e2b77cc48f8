// CIFAR-style binary record files (SPEC §4.3–4.5), the on-disk format of CIFAR-10, CIFAR-100 and
// of DeepOBS's converted SVHN: fixed-length records of label byte(s) and 32×32×3 image bytes, no
// header. Read whole into u8 HWC images [N,32,32,3] (TF's layout, which the augmentation works
// on) and i64 labels, with DeepOBS's reading semantics, quirks included.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/dataset.h"

namespace deepobs::datasets {

inline constexpr std::int64_t kImageSide = 32;
inline constexpr std::int64_t kImageBytes = kImageSide * kImageSide * 3;  // 3,072

// Where CIFAR-100's image bytes start in its 3,074-byte records (coarse label, fine label, image).
//   Legacy: DeepOBS 1.1 sliced the image from byte 1 (the label size) instead of byte 2, so each
//           image is shifted by one byte: its first byte is the fine label and its last byte is
//           dropped. Every published cifar100_* baseline trained on these images (SPEC §10 #1).
//   Fixed:  the image as stored, from byte 2.
enum class Cifar100Offset { Legacy, Fixed };
std::string_view cifar100_offset_name(Cifar100Offset offset);  // "legacy", "fixed"
// The inverse of cifar100_offset_name; throws deepobs::Error naming the choices.
Cifar100Offset parse_cifar100_offset(std::string_view name);

// Which SVHN training images are used (SPEC §4.5, §10 #3).
//   First64000: the first 64,000 of the 73,257 images of train_32x32.mat, DeepOBS 1.1's
//               truncation (its conversion script writes no more), as every baseline;
//   Full:       all 73,257 (DeepOBS 1.2's fix).
enum class SvhnTrain { First64000, Full };
std::string_view svhn_train_name(SvhnTrain train);  // "64000", "full"
SvhnTrain parse_svhn_train(std::string_view name);

// The layout of one record file.
struct RecordFormat {
  std::string data_set;       // for messages ("cifar100" → `deepobs prepare-data cifar100`)
  std::int64_t record_bytes;  // 3,073 (CIFAR-10, SVHN) or 3,074 (CIFAR-100)
  std::int64_t label_at;      // the byte holding the class label
  std::int64_t image_at;      // the first of kImageBytes image bytes
  bool planar;                // true: R, G and B planes of 32×32 (CIFAR); false: HWC (SVHN)
  std::int64_t classes;       // labels must be below this
};
RecordFormat cifar10_format();
// CIFAR-100 with the fine label (byte 1) as the class, the image from byte 1 (Legacy) or 2.
RecordFormat cifar100_format(Cifar100Offset offset);
// DeepOBS's SVHN records: label byte (10 already mapped to 0), then the image in HWC order.
RecordFormat svhn_format();

// Reads every record of `path` into images u8 [N,32,32,3] (HWC; planar records are transposed)
// and labels i64 [N]. Throws deepobs::Error with one line that names the file and says to run
// `deepobs prepare-data <data set>` when the file is missing, unreadable, empty, not a whole
// number of records (truncated), holds a label >= classes, or holds N != expected_records
// (when expected_records >= 0).
Examples read_image_records(const std::filesystem::path& path, const RecordFormat& format,
                            std::int64_t expected_records = -1);

// Checks a record file completely like read_image_records without keeping it (prepare-data's
// verifier); returns "10000 records of 32x32x3 images, labels 0..9".
std::string verify_image_records(const std::filesystem::path& path, const RecordFormat& format,
                                 std::int64_t expected_records);

// The examples of `parts` one after the other (u8 CPU inputs of one example shape, labels).
Examples concat_examples(const std::vector<Examples>& parts);

}  // namespace deepobs::datasets
