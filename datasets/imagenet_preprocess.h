// ImageNet's per-image preprocessing (SPEC §4.6, DeepOBS imagenet.py after TF-slim's
// vgg_preprocessing), on one decoded RGB image, on the CPU:
//
//   x = byte · f32(1/255)                       (convert_image_dtype to float in [0, 1])
//   → aspect-preserving resize: the shorter side becomes 256 (aspect_preserving_size), TF 1.x
//     legacy bilinear (align_corners=False, no half-pixel centres: legacy_bilinear_sample)
//   → Train: resize_image_with_crop_or_pad to 256×256 (central crop, or zero padding), random
//            224×224 crop, random horizontal flip (train_window)
//     Test:  central 224×224 crop (test_window)
//   → per_image_standardization: (x − mean) / max(stddev, 1/sqrt(N)), N = 3·224·224
//   → CHW f32 [3,224,224].
//
// A resized pixel depends only on its own coordinates, so only the 224×224 window is ever
// interpolated (the same values a full resize followed by the crops gives, a fifth of the work).
#pragma once

#include <cstdint>

#include "datasets/jpeg.h"

namespace deepobs::datasets {

inline constexpr int kImageNetResizeSide = 256;  // the shorter side after the resize
inline constexpr int kImageNetCropSide = 224;    // the network's input
inline constexpr std::int64_t kImageNetImageFloats =
    std::int64_t{3} * kImageNetCropSide * kImageNetCropSide;

struct ImageSize {
  int height = 0;
  int width = 0;
};

// TF-slim's _smallest_size_at_least in f32: scale = side / shorter (the width when height >
// width, else the height), new size = rint(h·scale), rint(w·scale) (rint: half to even).
ImageSize aspect_preserving_size(int height, int width, int smallest_side = kImageNetResizeSide);

// Where output index `out_index` of a TF 1.x legacy bilinear resize from `in_size` to `out_size`
// samples: s = out_index · (f32(in_size) / out_size) in f32, lower = floor(s), upper =
// min(ceil(s), in_size − 1), lerp = s − floor(s).
struct BilinearSample {
  int lower = 0;
  int upper = 0;
  float lerp = 0.0f;
};
BilinearSample legacy_bilinear_sample(int out_index, int in_size, int out_size);

// The 224×224 window of the resized image (size `resized`) that becomes the network's input:
// output pixel (i, j) shows resized pixel (top + i, left + (flip ? 223 − j : j)), or zero where
// that lies outside the resized image (padding).
struct CropWindow {
  int top = 0;
  int left = 0;
  bool flip = false;
};

// Train: central crop/pad to 256×256 (offset (size − 256) / 2 when cropping, −((256 − size) / 2)
// when padding, integer division as TF's), then the random crop at offsets floor(u_row · 33),
// floor(u_col · 33) (u uniform in [0, 1): 33 positions), flipped when u_flip < 0.5.
CropWindow train_window(ImageSize resized, double u_row, double u_col, double u_flip);
// Test: the central 224×224 crop, offsets (size − 224) / 2.
CropWindow test_window(ImageSize resized);

// Interpolates `window` of `image` resized to `resized` and writes it standardised, CHW, into
// out[0 … kImageNetImageFloats). Throws deepobs::Error when the image is empty.
void preprocess_image(const RgbImage& image, ImageSize resized, const CropWindow& window,
                      float* out);

}  // namespace deepobs::datasets
