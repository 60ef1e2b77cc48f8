#include "datasets/imagenet_records.h"

#include <fstream>

#include "core/error.h"
#include "datasets/tf_example.h"
#include "datasets/tfrecord.h"

namespace deepobs::datasets {

ImageNetRecord parse_imagenet_record(std::string_view serialized, std::string_view what) {
  const ExampleFeatures features(serialized, what);
  ImageNetRecord r;
  r.jpeg = features.bytes("image/encoded");
  const std::int64_t label = features.int64("image/class/label");
  DEEPOBS_CHECK(label >= 1 && label <= kImageNetSynsets, what, ": image/class/label ", label,
                " is outside 1..1000 (not a build_imagenet_data.py shard?)");
  r.label = static_cast<std::int32_t>(label);
  if (features.has("image/class/text")) r.text = features.bytes("image/class/text");
  DEEPOBS_CHECK(r.jpeg.size() >= 3 && static_cast<unsigned char>(r.jpeg[0]) == 0xFF &&
                    static_cast<unsigned char>(r.jpeg[1]) == 0xD8,
                what, ": image/encoded is not a JPEG");
  return r;
}

std::string make_imagenet_record(std::string_view jpeg, std::int32_t label, std::string_view synset,
                                 std::string_view text, int height, int width) {
  return ExampleBuilder()
      .add_int64("image/height", height)
      .add_int64("image/width", width)
      .add_bytes("image/colorspace", "RGB")
      .add_int64("image/channels", 3)
      .add_int64("image/class/label", label)
      .add_bytes("image/class/synset", synset)
      .add_bytes("image/class/text", text)
      .add_bytes("image/format", "JPEG")
      .add_bytes("image/encoded", jpeg)
      .serialize();
}

std::string imagenet_entry_path(const ImageNetIndex& index, const ImageNetSplit& split,
                                const ImageNetEntry& entry) {
  return (index.source / split.files[static_cast<std::size_t>(entry.file)]).string();
}

std::string_view load_imagenet_jpeg(const ImageNetIndex& index, const ImageNetSplit& split,
                                    const ImageNetEntry& entry, std::string& buffer) {
  const std::string path = imagenet_entry_path(index, split, entry);
  if (index.layout == ImageNetLayout::TFRecord) {
    read_tfrecord(path, {entry.offset, entry.length}, buffer);
    const std::string what = cat(path, " record at byte ", entry.offset);
    const ImageNetRecord r = parse_imagenet_record(buffer, what);
    DEEPOBS_CHECK(r.label == entry.label, what, ": label ", r.label, " where the index says ",
                  entry.label, " (the shard changed; run `deepobs prepare-data imagenet` again)");
    return r.jpeg;
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  DEEPOBS_CHECK(in.good(), path, ": cannot open the image (moved or deleted after `deepobs ",
                "prepare-data imagenet`? run it again)");
  const std::streamsize size = in.tellg();
  buffer.resize(static_cast<std::size_t>(size));
  in.seekg(0);
  in.read(buffer.data(), size);
  DEEPOBS_CHECK(in.gcount() == size, path, ": read failed");
  return buffer;
}

}  // namespace deepobs::datasets
