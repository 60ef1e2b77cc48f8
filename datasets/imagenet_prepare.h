// `deepobs prepare-data imagenet --source DIR`: checks and indexes an ILSVRC-2012 copy the user
// downloaded (its licence needs a registration at image-net.org, so it is never downloaded here).
//
// Accepted layouts of DIR:
//   folders   DIR/train/<wnid>/*.JPEG (any .jpeg/.jpg case), and the validation images either as
//             DIR/val/<wnid>/*.JPEG or flat DIR/val/*.JPEG with a ground-truth file in DIR or
//             DIR/val: TF inception's imagenet_2012_validation_synset_labels.txt (one wnid per
//             line, in file-name order) or Kaggle's LOC_val_solution.csv (ImageId, then the
//             wnid as the first word of PredictionString). "validation" may stand for "val".
//             Labels: 1 + the wnid's index in the synset list — DIR/imagenet_lsvrc_2015_synsets.txt
//             (TF inception's list) when present, else the sorted train/ folder names (the same
//             order, as that list is sorted); 0 is the background class.
//   tfrecord  DIR/train-* and DIR/validation-*, TF's build_imagenet_data.py shards: every
//             record's checksums are verified and its tf.train.Example parsed (image/encoded must
//             be a JPEG, image/class/label in 1..1000).
// Every file name and label lands in the index (datasets/imagenet_index.h); folder images are
// checked for a JPEG start marker only (a full decode of 140 GB would take hours; a file that
// fails to decode later stops the run with its name).
#pragma once

#include <string>
#include <vector>

#include "datasets/imagenet_index.h"
#include "datasets/prepare_data.h"

namespace deepobs::datasets {

// Scans `source` and returns the index, or throws deepobs::Error whose message is a first line
// "imagenet: <source> is not ready (<n> problems; nothing was written):" followed by one line per
// problem (which wnid folders are missing, how many images a split lacks, which file is not a
// JPEG, which shard is truncated, ...). `official_sizes` demands ILSVRC-2012's counts.
ImageNetIndex scan_imagenet_source(const std::filesystem::path& source, bool official_sizes,
                                   const PrepareOptions& options);

// scan_imagenet_source(options.source or <root>/imagenet), then write_imagenet_index into
// imagenet_index_path(root). Logs what it found.
void prepare_imagenet(const DataRoot& root, const PrepareOptions& options);

}  // namespace deepobs::datasets
