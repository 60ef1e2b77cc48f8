// The pieces of the ImageNet loader: CRC-32C and TFRecord framing, tf.train.Example parsing,
// JPEG decoding to RGB (grayscale, CMYK), and the resize/crop arithmetic against hand-computed
// cases.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/crc32c.h"
#include "datasets/imagenet_preprocess.h"
#include "datasets/imagenet_records.h"
#include "datasets/jpeg.h"
#include "datasets/tf_example.h"
#include "datasets/tfrecord.h"
#include "imagenet_jpeg_fixture.h"
#include "test_datasets_util.h"
#include "tests/common/expect_error.h"

namespace deepobs::datasets {
namespace {

using test_util::TempDir;

TEST(ImageNetRecords, Crc32cKnownValues) {
  // The CRC-32C check value, and RFC 3720's 32 zero bytes.
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c("", 0), 0u);
  // Masking: rotate right by 15, add 0xA282EAD8.
  const std::uint32_t c = 0xE3069283u;
  EXPECT_EQ(masked_crc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xA282EAD8u);
}

TEST(ImageNetRecords, TfrecordRoundTripAndCorruption) {
  TempDir dir;
  std::string file;
  append_tfrecord(file, "first");
  append_tfrecord(file, std::string(1000, 'x'));
  // Framing: 8 length bytes + 4 + data + 4.
  ASSERT_EQ(file.size(), (12 + 5 + 4) + (12 + 1000 + 4));
  EXPECT_EQ(static_cast<unsigned char>(file[0]), 5);
  test_util::write_file(dir / "shard", file);
  std::vector<RecordSpan> spans;
  std::vector<std::string> data;
  EXPECT_EQ(for_each_tfrecord(dir / "shard",
                              [&](const RecordSpan& s, std::string_view d) {
                                spans.push_back(s);
                                data.emplace_back(d);
                              }),
            2);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].offset, 21u);
  EXPECT_EQ(spans[1].length, 1000u);
  EXPECT_EQ(data[0], "first");
  std::string again;
  read_tfrecord(dir / "shard", spans[1], again);
  EXPECT_EQ(again, std::string(1000, 'x'));

  // A truncated shard: the error names the file and the record's offset, in one line.
  test_util::write_file(dir / "cut", file.substr(0, file.size() - 10));
  try {
    for_each_tfrecord(dir / "cut", [](const RecordSpan&, std::string_view) {});
    FAIL() << "no error for a truncated shard";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find((dir / "cut").string() + ": TFRecord at byte 21: the file ends 10 bytes"),
              0u)
        << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // A flipped data byte fails the data checksum; a flipped length byte the length checksum.
  std::string bad = file;
  bad[14] ^= 1;
  test_util::write_file(dir / "bad_data", bad);
  testing::expect_error(
      [&] { for_each_tfrecord(dir / "bad_data", [](const RecordSpan&, std::string_view) {}); },
      {"bad_data: TFRecord at byte 0", "data checksum does not match"});
  bad = file;
  bad[1] ^= 1;
  test_util::write_file(dir / "bad_length", bad);
  testing::expect_error(
      [&] { for_each_tfrecord(dir / "bad_length", [](const RecordSpan&, std::string_view) {}); },
      {"bad_length: TFRecord at byte 0", "length checksum does not match"});
}

TEST(ImageNetRecords, ExampleFeatures) {
  const std::string jpeg = "\xFF\xD8\xFF fake";
  const std::string ex = make_imagenet_record(jpeg, 417, "n04037443", "racer, race car", 375, 500);
  const ExampleFeatures f(ex, "test");
  EXPECT_EQ(f.bytes("image/encoded"), jpeg);
  EXPECT_EQ(f.int64("image/class/label"), 417);
  EXPECT_EQ(f.int64("image/width"), 500);
  EXPECT_EQ(f.bytes("image/class/synset"), "n04037443");
  const ImageNetRecord r = parse_imagenet_record(ex, "test");
  EXPECT_EQ(r.label, 417);
  EXPECT_EQ(r.text, "racer, race car");
  // An int64 list written unpacked (tag 8, varint) is read too: Int64List{value: 7} by hand.
  // Feature{int64_list=3: "\x08\x07"} in a map entry {key=1: "k", value=2: feature}.
  const std::string feature = std::string("\x1A\x02\x08\x07", 4);
  const std::string entry =
      std::string("\x0A\x01k\x12", 4) + static_cast<char>(feature.size()) + feature;
  const std::string features = std::string("\x0A", 1) + static_cast<char>(entry.size()) + entry;
  const std::string example =
      std::string("\x0A", 1) + static_cast<char>(features.size()) + features;
  EXPECT_EQ(ExampleFeatures(example, "hand").int64("k"), 7);

  testing::expect_error([&] { (void)f.int64("image/encoded"); },
                        {"test: feature 'image/encoded' is a bytes list, expected int64"});
  testing::expect_error([&] { (void)f.bytes("image/object/bbox"); },
                        {"test: the tf.train.Example has no feature 'image/object/bbox'"});
  testing::expect_error(
      [&] { parse_imagenet_record(make_imagenet_record(jpeg, 1001, "", "", 1, 1), "rec"); },
      {"rec: image/class/label 1001 is outside 1..1000"});
  testing::expect_error([&] { ExampleFeatures(ex.substr(0, ex.size() - 3), "cut"); },
                        {"cut: malformed tf.train.Example"});
}

TEST(ImageNetJpeg, GrayscaleAndCmykComeOutRgb) {
  JpegDecoder decoder;
  RgbImage im;
  // Uniform images survive JPEG almost exactly.
  std::vector<std::uint8_t> gray(16 * 24, 100);
  decoder.decode(encode_jpeg(gray.data(), 16, 24, JpegColor::Gray), "gray", im);
  ASSERT_EQ(im.height, 16);
  ASSERT_EQ(im.width, 24);
  for (const auto v : im.pixels)
    EXPECT_NEAR(v, 100, 1);
  std::vector<std::uint8_t> rgb;
  for (int i = 0; i < 16 * 16; ++i)
    rgb.insert(rgb.end(), {200, 40, 90});
  decoder.decode(encode_jpeg(rgb.data(), 16, 16, JpegColor::Rgb, 100), "rgb", im);
  EXPECT_NEAR(im.pixels[0], 200, 2);
  EXPECT_NEAR(im.pixels[1], 40, 2);
  EXPECT_NEAR(im.pixels[2], 90, 2);
  // CMYK written by libjpeg carries an Adobe marker (inverted CMYK): R = C·K/255.
  std::vector<std::uint8_t> cmyk;
  for (int i = 0; i < 16 * 16; ++i)
    cmyk.insert(cmyk.end(), {200, 100, 50, 220});
  const std::string cmyk_jpeg = encode_jpeg(cmyk.data(), 16, 16, JpegColor::Cmyk, 100);
  EXPECT_EQ(decoder.header(cmyk_jpeg, "cmyk").color, JpegColor::Cmyk);
  decoder.decode(cmyk_jpeg, "cmyk", im);
  EXPECT_NEAR(im.pixels[0], 200 * 220 / 255, 2);
  EXPECT_NEAR(im.pixels[1], 100 * 220 / 255, 2);
  EXPECT_NEAR(im.pixels[2], 50 * 220 / 255, 2);

  testing::expect_error([&] { decoder.decode("GIF89a....", "x/a.JPEG", im); },
                        {"x/a.JPEG: not a JPEG file"});
  testing::expect_error([&] { decoder.decode("\xFF\xD8\xFF\xE0garbage", "x/b.JPEG", im); },
                        {"x/b.JPEG: unreadable JPEG header"});
}

TEST(ImageNetPreprocess, AspectPreservingSizes) {
  // ILSVRC's typical 500×375: scale 256/375, width rint(341.33) = 341.
  EXPECT_EQ(aspect_preserving_size(375, 500).height, 256);
  EXPECT_EQ(aspect_preserving_size(375, 500).width, 341);
  EXPECT_EQ(aspect_preserving_size(500, 375).height, 341);
  EXPECT_EQ(aspect_preserving_size(500, 375).width, 256);
  EXPECT_EQ(aspect_preserving_size(200, 300).width, 384);  // scale 1.28
  EXPECT_EQ(aspect_preserving_size(30, 40).width, 341);    // upscaling: 40·8.5333
  EXPECT_EQ(aspect_preserving_size(256, 256).width, 256);
  // rint rounds halves to even: 513·0.5 = 256.5 → 256, 515·0.5 = 257.5 → 258.
  EXPECT_EQ(aspect_preserving_size(512, 513).width, 256);
  EXPECT_EQ(aspect_preserving_size(512, 515).width, 258);
  EXPECT_EQ(aspect_preserving_size(515, 512).height, 258);
}

TEST(ImageNetPreprocess, LegacyBilinearSamplePositions) {
  // 30 → 256: scale 30/256 = 0.1171875 exactly; s = d·scale, no half-pixel shift.
  BilinearSample s = legacy_bilinear_sample(0, 30, 256);
  EXPECT_EQ(s.lower, 0);
  EXPECT_EQ(s.upper, 0);
  EXPECT_EQ(s.lerp, 0.0f);
  s = legacy_bilinear_sample(100, 30, 256);  // 11.71875
  EXPECT_EQ(s.lower, 11);
  EXPECT_EQ(s.upper, 12);
  EXPECT_EQ(s.lerp, 0.71875f);
  s = legacy_bilinear_sample(255, 30, 256);  // 29.8828125: the last row is clamped
  EXPECT_EQ(s.lower, 29);
  EXPECT_EQ(s.upper, 29);
  EXPECT_EQ(s.lerp, 0.8828125f);
  s = legacy_bilinear_sample(128, 30, 256);  // 15 exactly: lerp 0
  EXPECT_EQ(s.lower, 15);
  EXPECT_EQ(s.upper, 15);
  EXPECT_EQ(s.lerp, 0.0f);
  // Downscaling 500 → 341 skips pixels: 340·(500/341) ≈ 498.534.
  s = legacy_bilinear_sample(340, 500, 341);
  EXPECT_EQ(s.lower, 498);
  EXPECT_EQ(s.upper, 499);
  EXPECT_NEAR(s.lerp, 0.5337, 1e-4);
}

TEST(ImageNetPreprocess, CropWindows) {
  const ImageSize landscape{256, 341};
  // Central crop to 256 columns: (341 − 256) / 2 = 42; then the random offsets 0..32.
  CropWindow w = train_window(landscape, 0.0, 0.0, 0.7);
  EXPECT_EQ(w.top, 0);
  EXPECT_EQ(w.left, 42);
  EXPECT_FALSE(w.flip);
  w = train_window(landscape, 0.9999, 0.5, 0.2);
  EXPECT_EQ(w.top, 32);  // floor(0.9999·33)
  EXPECT_EQ(w.left, 42 + 16);
  EXPECT_TRUE(w.flip);
  // Padding (never reached after the resize, but resize_image_with_crop_or_pad's rule):
  // 201 rows are padded by (256 − 201) / 2 = 27 on top.
  w = train_window({201, 256}, 0.0, 0.0, 0.9);
  EXPECT_EQ(w.top, -27);
  EXPECT_EQ(w.left, 0);
  // Test: central 224 crop of the resized image.
  w = test_window(landscape);
  EXPECT_EQ(w.top, 16);
  EXPECT_EQ(w.left, 58);
  EXPECT_FALSE(w.flip);
}

// preprocess_image against a naive full resize, crop, flip and standardisation in double.
TEST(ImageNetPreprocess, WindowEqualsFullResizeThenCrop) {
  RgbImage im;
  im.height = 30;
  im.width = 47;
  im.pixels = test_util::picture(im.height, im.width, 3, 5);
  const ImageSize r = aspect_preserving_size(im.height, im.width);
  ASSERT_EQ(r.height, 256);
  ASSERT_EQ(r.width, 401);
  std::vector<float> full(static_cast<std::size_t>(r.height * r.width * 3));
  for (int y = 0; y < r.height; ++y)
    for (int x = 0; x < r.width; ++x)
      for (int c = 0; c < 3; ++c) {
        const BilinearSample sy = legacy_bilinear_sample(y, im.height, r.height);
        const BilinearSample sx = legacy_bilinear_sample(x, im.width, r.width);
        const auto px = [&](int yy, int xx) {
          return static_cast<float>(
                     im.pixels[static_cast<std::size_t>((yy * im.width + xx) * 3 + c)]) *
                 (1.0f / 255.0f);
        };
        const float t =
            px(sy.lower, sx.lower) + (px(sy.lower, sx.upper) - px(sy.lower, sx.lower)) * sx.lerp;
        const float b =
            px(sy.upper, sx.lower) + (px(sy.upper, sx.upper) - px(sy.upper, sx.lower)) * sx.lerp;
        full[static_cast<std::size_t>((y * r.width + x) * 3 + c)] = t + (b - t) * sy.lerp;
      }
  for (const bool flip : {false, true}) {
    const CropWindow w = train_window(r, 0.3, 0.8, flip ? 0.1 : 0.9);
    ASSERT_EQ(w.flip, flip);
    std::vector<float> out(static_cast<std::size_t>(kImageNetImageFloats));
    preprocess_image(im, r, w, out.data());
    std::vector<double> crop(out.size());
    double sum = 0, sq = 0;
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 224; ++i)
        for (int j = 0; j < 224; ++j) {
          const int x = w.left + (flip ? 223 - j : j);
          const double v = full[static_cast<std::size_t>(((w.top + i) * r.width + x) * 3 + c)];
          crop[static_cast<std::size_t>((c * 224 + i) * 224 + j)] = v;
          sum += v;
          sq += v * v;
        }
    const double n = static_cast<double>(crop.size());
    const double mean = sum / n;
    const double scale = std::max(std::sqrt(sq / n - mean * mean), 1.0 / std::sqrt(n));
    for (std::size_t k = 0; k < crop.size(); k += 97)
      EXPECT_NEAR(out[k], (crop[k] - mean) / scale, 2e-5) << k;
  }
  // A constant image standardises to zeros (stddev 0 → divided by 1/sqrt(N)).
  RgbImage flat;
  flat.height = 20;
  flat.width = 20;
  flat.pixels.assign(20 * 20 * 3, 77);
  std::vector<float> out(static_cast<std::size_t>(kImageNetImageFloats), 1.0f);
  const ImageSize fr = aspect_preserving_size(20, 20);
  preprocess_image(flat, fr, test_window(fr), out.data());
  for (std::size_t k = 0; k < out.size(); k += 101)
    EXPECT_EQ(out[k], 0.0f);
}

}  // namespace
}  // namespace deepobs::datasets
