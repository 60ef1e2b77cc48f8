// The index `deepobs prepare-data imagenet` writes and the ImageNet loader reads: which image
// files (or TFRecord records) make up the training and validation splits, with their labels.
//
// Stored as <data root>/imagenet/deepobs-imagenet-index.txt, a text file:
//   deepobs-imagenet-index 1
//   layout folders|tfrecord
//   sizes official|any
//   source <absolute folder the images are read from>
//   synsets <n>            then n lines, one wnid each (label l is synsets[l − 1])
//   split train <files> <entries>        then <files> lines (paths relative to the source) and
//                                        <entries> lines "file label offset length"
//   split validation <files> <entries>   likewise
//   end
// For folders every entry is one file (offset = length = 0); for TFRecord shards an entry is
// the record at byte `offset` of data length `length` in shard `file`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "datasets/data_dir.h"

namespace deepobs::datasets {

inline constexpr std::int64_t kImageNetTrainSize = 1281167;    // ILSVRC-2012 training images
inline constexpr std::int64_t kImageNetTestSize = 50000;       // ILSVRC-2012 validation images
inline constexpr std::int64_t kImageNetTrainEvalSize = 50000;  // DeepOBS's train_eval_size
inline constexpr std::int64_t kImageNetSynsets = 1000;         // labels 1..1000; 0 = background
inline constexpr const char* kImageNetIndexFile = "deepobs-imagenet-index.txt";

enum class ImageNetLayout { Folders, TFRecord };

struct ImageNetEntry {
  std::int32_t file = 0;   // index into ImageNetSplit::files
  std::int32_t label = 0;  // 1..1000
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct ImageNetSplit {
  std::vector<std::string> files;  // relative to ImageNetIndex::source
  std::vector<ImageNetEntry> entries;
};

struct ImageNetIndex {
  ImageNetLayout layout = ImageNetLayout::Folders;
  bool official_sizes = true;  // prepared with ILSVRC-2012's exact counts checked
  std::filesystem::path source;
  std::vector<std::string> synsets;  // empty when unknown (TFRecord shards without synsets)
  ImageNetSplit train;
  ImageNetSplit validation;
};

// <root>/imagenet/deepobs-imagenet-index.txt
std::filesystem::path imagenet_index_path(const DataRoot& root);

// Writes the index to `path` atomically (a temporary file in the same folder, renamed into
// place), so a failed or interrupted run leaves any previous index intact.
void write_imagenet_index(const ImageNetIndex& index, const std::filesystem::path& path);

// Reads an index; throws deepobs::Error naming the file and the line for anything malformed.
ImageNetIndex read_imagenet_index(const std::filesystem::path& path);

}  // namespace deepobs::datasets
