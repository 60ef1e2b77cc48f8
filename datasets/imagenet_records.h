// One ImageNet example as the index names it: its JPEG bytes, from an image file or from a
// record of a build_imagenet_data.py shard (features image/encoded, image/class/label,
// image/class/text).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "datasets/imagenet_index.h"

namespace deepobs::datasets {

struct ImageNetRecord {
  std::string_view jpeg;   // image/encoded (a view into the record's bytes)
  std::int32_t label = 0;  // image/class/label, checked to lie in 1..1000
  std::string_view text;   // image/class/text (human-readable class), empty when absent
};

// Parses a shard record's tf.train.Example; throws deepobs::Error naming `what` when a feature is
// missing, the label is outside 1..1000, or image/encoded is not a JPEG.
ImageNetRecord parse_imagenet_record(std::string_view serialized, std::string_view what);

// Serialises an Example with the features build_imagenet_data.py writes for the loader's needs:
// image/encoded, image/format "JPEG", image/class/label, image/class/synset, image/class/text,
// image/height, image/width (for fixtures and the bench).
std::string make_imagenet_record(std::string_view jpeg, std::int32_t label, std::string_view synset,
                                 std::string_view text, int height, int width);

// The JPEG bytes of `entry` of `split`, read into `buffer` (reused across calls) and returned as
// a view into it. For shards the record's checksums are verified and its label compared with the
// index's. Throws deepobs::Error naming the file (and record) when reading fails.
std::string_view load_imagenet_jpeg(const ImageNetIndex& index, const ImageNetSplit& split,
                                    const ImageNetEntry& entry, std::string& buffer);

// The path of `entry`'s file (an image, or the shard holding its record).
std::string imagenet_entry_path(const ImageNetIndex& index, const ImageNetSplit& split,
                                const ImageNetEntry& entry);

}  // namespace deepobs::datasets
