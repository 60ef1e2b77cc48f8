// MNIST and Fashion-MNIST (SPEC §4.1, §4.2): 28×28 grey-scale images in 10 classes, 60,000 for
// training and 10,000 for testing, read from the four IDX files DeepOBS's preparation script
// downloads (gzip-compressed or not).
//
// Batches: inputs f32 [B,1,28,28], pixel bytes / 255 (so in [0,1]); labels i64 [B] in 0..9 (TF's
// one-hot labels carry the same information). No normalisation, no augmentation.
// train_eval_size 10,000: at B = 128 an epoch has 468 training batches and train_eval 78; with
// the v1.2 validation split the first 10,000 training images are the validation set and 50,000
// remain for training (390 batches at B = 128).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "datasets/data_dir.h"
#include "datasets/dataset.h"

namespace deepobs::datasets {

inline constexpr std::int64_t kMnistTrainSize = 60000;
inline constexpr std::int64_t kMnistTestSize = 10000;
inline constexpr std::int64_t kMnistTrainEvalSize = 10000;
inline constexpr std::int64_t kMnistClasses = 10;
inline constexpr std::int64_t kMnistSide = 28;

// Reads one split from an IDX image file ([N,28,28] u8) and an IDX label file ([N] u8).
// Returns inputs u8 [N,1,28,28] (raw bytes; the data set divides by 255 when batching) and labels
// i64 [N]. Throws deepobs::Error (naming the file) when a file is bad (see read_idx), when the
// images are not [N,28,28] or the labels not [N], when the counts of images and labels differ,
// when a label is >= 10, or when expected_count >= 0 and N differs from it.
Examples load_mnist_split(const std::filesystem::path& images, const std::filesystem::path& labels,
                          std::int64_t expected_count = -1);

// The MNIST-format data set `name` ("mnist" or "fmnist"), found with find_data_set(name, root)
// (for fmnist that includes /usr/share/datasets/fashion-mnist) and held in memory (about 55 MB of
// bytes). Throws deepobs::Error when the files are missing (the message says where it looked and
// how to get them), bad, or (with official_sizes) not of the standard 60,000/10,000 sizes, and for
// any other name. Without official_sizes (--data_sizes any: fixtures, subsets) any counts are read
// and train_eval is the first min(10,000, N_train) examples of the pass.
std::unique_ptr<InMemoryDataSet> make_mnist_data_set(std::string_view name, const DataRoot& root,
                                                     const DataSetOptions& options,
                                                     bool official_sizes = true);

}  // namespace deepobs::datasets
