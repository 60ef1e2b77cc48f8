// A tiny ImageNet copy written by the tests in both layouts users have: ILSVRC-2012 folders
// (train/<wnid>/*.JPEG, flat val/ with TF's imagenet_2012_validation_synset_labels.txt) and
// build_imagenet_data.py TFRecord shards holding the same JPEG bytes in the same index order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "datasets/imagenet_records.h"
#include "datasets/jpeg.h"
#include "datasets/tfrecord.h"

namespace deepobs::datasets::test_util {

struct FixtureImage {
  std::string name;  // file name
  std::string wnid;
  std::int32_t label = 0;
  std::string jpeg;
};

// A deterministic, detailed test picture (so that crops and flips change the pixels).
inline std::vector<std::uint8_t> picture(int height, int width, int channels, int seed) {
  std::vector<std::uint8_t> p(static_cast<std::size_t>(height * width * channels));
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        p[static_cast<std::size_t>((y * width + x) * channels + c)] = static_cast<std::uint8_t>(
            (x * (5 + seed) + y * (3 + c) + c * 70 + seed * 31 + (x * y) / 7) % 256);
  return p;
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct ImageNetFixture {
  std::vector<std::string> wnids = {"n01000001", "n01000002", "n01000003"};
  std::vector<FixtureImage> train;       // index order: wnid, then file name
  std::vector<FixtureImage> validation;  // file-name order

  ImageNetFixture() {
    // (height, width) from 30×40 to 200×300, both orientations; one grayscale and one CMYK JPEG.
    const int sizes[][2] = {{30, 40}, {40, 30}, {48, 64}, {64, 48}, {200, 300}, {37, 53},
                            {53, 37}, {45, 45}, {32, 90}, {90, 32}, {60, 41},   {41, 60}};
    int seed = 0;
    for (std::size_t k = 0; k < wnids.size(); ++k) {
      for (int i = 0; i < 4; ++i, ++seed) {
        const int h = sizes[seed][0], w = sizes[seed][1];
        FixtureImage im;
        im.wnid = wnids[k];
        im.label = static_cast<std::int32_t>(k + 1);
        im.name = wnids[k] + "_" + std::to_string(100 + i) + ".JPEG";
        if (seed == 1) {
          im.jpeg = encode_jpeg(picture(h, w, 1, seed).data(), h, w, JpegColor::Gray);
        } else if (seed == 6) {
          im.jpeg = encode_jpeg(picture(h, w, 4, seed).data(), h, w, JpegColor::Cmyk);
        } else {
          im.jpeg = encode_jpeg(picture(h, w, 3, seed).data(), h, w, JpegColor::Rgb);
        }
        train.push_back(im);
      }
    }
    for (int i = 0; i < 4; ++i, ++seed) {
      const int h = sizes[seed % 12][0] + 3, w = sizes[seed % 12][1] + 5;
      FixtureImage im;
      im.wnid = wnids[static_cast<std::size_t>((i * 2) % 3)];
      im.label = (i * 2) % 3 + 1;
      im.name = "ILSVRC2012_val_0000000" + std::to_string(i + 1) + ".JPEG";
      im.jpeg = encode_jpeg(picture(h, w, 3, seed).data(), h, w, JpegColor::Rgb);
      validation.push_back(im);
    }
  }

  // dir/train/<wnid>/<name>, dir/val/<name>, dir/imagenet_2012_validation_synset_labels.txt
  void write_folders(const std::filesystem::path& dir) const {
    for (const auto& im : train)
      write_file(dir / "train" / im.wnid / im.name, im.jpeg);
    std::string labels;
    for (const auto& im : validation) {
      write_file(dir / "val" / im.name, im.jpeg);
      labels += im.wnid + "\n";
    }
    write_file(dir / "imagenet_2012_validation_synset_labels.txt", labels);
  }

  // dir/train-0000k-of-00002 (images 0..5 and 6..11) and dir/validation-00000-of-00001.
  void write_shards(const std::filesystem::path& dir) const {
    std::string shard[2], val;
    for (std::size_t i = 0; i < train.size(); ++i)
      append_tfrecord(shard[i < 6 ? 0 : 1], record(train[i]));
    for (const auto& im : validation)
      append_tfrecord(val, record(im));
    write_file(dir / "train-00000-of-00002", shard[0]);
    write_file(dir / "train-00001-of-00002", shard[1]);
    write_file(dir / "validation-00000-of-00001", val);
  }

  static std::string record(const FixtureImage& im) {
    return make_imagenet_record(im.jpeg, im.label, im.wnid, "class " + im.wnid, 0, 0);
  }
};

}  // namespace deepobs::datasets::test_util
