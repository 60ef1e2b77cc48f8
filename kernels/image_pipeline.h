// DeepOBS's CIFAR/SVHN input pipeline (SPEC §4.3–4.5) as per-pixel functions that the CPU kernel
// (kernels/cpu/image_batch.cpp) and the CUDA kernel (kernels/cuda/image_batch.cu) both call, so
// that a batch has the same bits on either device.
//
// One image, stored as u8 H×W×3 (HWC, RGB), becomes f32 3×H×W (CHW) in TF 1.x's order:
//   training   x = float(byte) in 0..255 (TF casts without scaling)
//              → resize_image_with_crop_or_pad to (H+2p)×(W+2p): p zero rows/columns per side
//              → random_crop H×W: offsets (oy, ox) uniform in 0..2p (TF: a random int % (2p+1))
//              → random_flip_left_right (CIFAR only): mirror the crop's columns when u < 0.5
//              → random_brightness(max_delta = 63/255): x + δ, δ uniform in [−63/255, 63/255) on
//              the
//                0..255 scale, so at most a quarter of a grey level (the quirk of SPEC §10 #4,
//                reproduced literally; padding pixels become δ too, nothing is clipped)
//              → random_saturation(0.5, 1.5): per pixel RGB → HSV, s·f clipped to [0, 1], → RGB,
//                exactly TF's fused AdjustSaturation CPU kernel (adjust_saturation below)
//              → random_contrast(0.2, 1.8): per channel x' = m + f·(x − m), m the channel mean as
//                TF's AdjustContrastv2 CPU kernel sums it (fold_rounds below) times 1/(H·W)
//              → per_image_standardization (below)
//   test       x = float(byte) → per_image_standardization
//
// per_image_standardization (TF 1.x): mean = Σx / N, variance = max(Σx² / N − mean², 0),
// scale = max(sqrt(variance), 1/sqrt(N)), x' = (x − mean) / scale, N = 3·H·W. TF sums with
// Eigen's reduction, whose order depends on the vector width and thread pool; we sum in the fold
// order below over the HWC array (exact on both devices, and as accurate as a pairwise sum), and
// compute 1/sqrt(N) correctly rounded where TF's rsqrt may differ by an ulp.
//
// Fold order (TF AdjustContrastv2's ReduceMeanAcrossImage, used for every sum here): values are
// rows × cols (row-major); cols separate sums are kept. While more than one row remains, with
// r rows left, right = r / 2 and left = r − right: rows [left, left + right) are added onto rows
// [0, right) (in the first round into a scratch copy, with row right copied when r is odd).
// Each round's additions are independent, so a thread grid and a loop give the same bits.
//
// Random numbers: image i of a batch uses blocks 2i and 2i+1 of one Philox draw (the batch's
// BatchDraws call 0): words 0..5 are crop row, crop column, flip, brightness, saturation,
// contrast. Uniforms come from 24 bits (TF uses 23; the distribution is the same).
//
// Arithmetic: only correctly rounded operations (round_nearest.h), comparisons, and conversions,
// never contracted into FMAs, so the CPU and the GPU agree bit for bit.
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/philox.h"
#include "kernels/rng_math.h"
#include "kernels/round_nearest.h"

namespace deepobs::kernels {

inline constexpr int kImageChannels = 3;

// What the pipeline does; plain data, passed by value to the CUDA kernel.
struct ImagePipelineConfig {
  std::int32_t height = 32;  // of the stored and of the produced images
  std::int32_t width = 32;
  std::int32_t pad = 2;  // zero rows/columns per side before the random crop
  bool augment = true;   // false: standardisation only
  bool flip = true;      // random horizontal flip (CIFAR; not SVHN)
  float brightness_max_delta = 0.0f;
  float saturation_lower = 1.0f, saturation_upper = 1.0f;
  float contrast_lower = 1.0f, contrast_upper = 1.0f;
};

// The random choices for one image.
struct ImageDraws {
  std::int32_t crop_y = 0, crop_x = 0;  // top-left corner of the crop in the padded image
  bool flip = false;
  float brightness = 0.0f, saturation = 1.0f, contrast = 1.0f;
};

// lo + u·(hi − lo) in f32 as TF's random_uniform computes it, u from the top 24 bits of w.
DEEPOBS_HD inline float uniform_between(std::uint32_t w, float lo, float hi) {
  return add_rn(mul_rn(uniform24(w), sub_rn(hi, lo)), lo);
}

// The draws of image `image` of the batch whose draw is `d`; without augmentation the crop is the
// centre (the image itself) and nothing else changes.
DEEPOBS_HD inline ImageDraws image_draws(const PhiloxDraw& d, std::uint32_t image,
                                         const ImagePipelineConfig& c) {
  ImageDraws r;
  if (!c.augment) {
    r.crop_y = c.pad;
    r.crop_x = c.pad;
    return r;
  }
  const PhiloxWords a = d.block(2u * image, 0);
  const PhiloxWords b = d.block(2u * image + 1u, 0);
  const std::uint32_t positions = 2u * static_cast<std::uint32_t>(c.pad) + 1u;
  r.crop_y = static_cast<std::int32_t>(a.v[0] % positions);
  r.crop_x = static_cast<std::int32_t>(a.v[1] % positions);
  r.flip = c.flip && uniform24(a.v[2]) < 0.5f;
  r.brightness = uniform_between(a.v[3], -c.brightness_max_delta, c.brightness_max_delta);
  r.saturation = uniform_between(b.v[0], c.saturation_lower, c.saturation_upper);
  r.contrast = uniform_between(b.v[1], c.contrast_lower, c.contrast_upper);
  return r;
}

// The stored pixel (y·W + x) that output pixel (y, x) shows, or −1 where it shows padding.
DEEPOBS_HD inline std::int32_t source_pixel(std::int32_t y, std::int32_t x, const ImageDraws& d,
                                            const ImagePipelineConfig& c) {
  const std::int32_t xc = d.flip ? c.width - 1 - x : x;
  const std::int32_t sy = y + d.crop_y - c.pad;
  const std::int32_t sx = xc + d.crop_x - c.pad;
  if (sy < 0 || sy >= c.height || sx < 0 || sx >= c.width) return -1;
  return sy * c.width + sx;
}

namespace image_detail {

// std::max / std::min as TF calls them (the second argument wins only when strictly larger /
// smaller), so NaN handling matches too.
DEEPOBS_HD inline float max_of(float a, float b) {
  return a < b ? b : a;
}
DEEPOBS_HD inline float min_of(float a, float b) {
  return b < a ? b : a;
}
DEEPOBS_HD inline float abs_of(float a) {
#if defined(__CUDA_ARCH__)
  return fabsf(a);
#else
  return std::fabs(a);
#endif
}
// (float)((double)a + k): TF adds the double constants 2.0/6.0 and 4.0/6.0 to a float product.
DEEPOBS_HD inline float add_double(float a, double k) {
  return static_cast<float>(add_rn(static_cast<double>(a), k));
}

}  // namespace image_detail

// TF 1.x's AdjustSaturation CPU kernel on one pixel (rgb[0..2], any scale): rgb_to_hsv, then
// s = min(1, max(0, s·scale)), then hsv_to_rgb, with TF's own formulas and operation order.
DEEPOBS_HD inline void adjust_saturation(float* rgb, float scale) {
  using namespace image_detail;
  const float r = rgb[0], g = rgb[1], b = rgb[2];
  // rgb_to_hsv
  const float v = max_of(r, max_of(g, b));
  const float range = sub_rn(v, min_of(r, min_of(g, b)));
  float s = v > 0.0f ? div_rn(range, v) : 0.0f;
  const float norm = div_rn(1.0f, mul_rn(6.0f, range));
  float h;
  if (r == v) {
    h = mul_rn(norm, sub_rn(g, b));
  } else if (g == v) {
    h = add_double(mul_rn(norm, sub_rn(b, r)), 2.0 / 6.0);
  } else {
    h = add_double(mul_rn(norm, sub_rn(r, g)), 4.0 / 6.0);
  }
  if (range <= 0.0f) h = 0.0f;
  if (h < 0.0f) h = add_rn(h, 1.0f);
  // the saturation change
  s = min_of(1.0f, max_of(0.0f, mul_rn(s, scale)));
  // hsv_to_rgb
  const float c = mul_rn(s, v);
  const float m = sub_rn(v, c);
  const float dh = mul_rn(h, 6.0f);
  const int category = static_cast<int>(dh);
  float f = dh;
  while (f <= 0.0f)
    f = add_rn(f, 2.0f);
  while (f >= 2.0f)
    f = sub_rn(f, 2.0f);
  const float x = mul_rn(c, sub_rn(1.0f, abs_of(sub_rn(f, 1.0f))));
  float rr = 0.0f, gg = 0.0f, bb = 0.0f;
  switch (category) {
    case 0:
      rr = c;
      gg = x;
      break;
    case 1:
      rr = x;
      gg = c;
      break;
    case 2:
      gg = c;
      bb = x;
      break;
    case 3:
      gg = x;
      bb = c;
      break;
    case 4:
      rr = x;
      bb = c;
      break;
    case 5:
      rr = c;
      bb = x;
      break;
    default:
      break;
  }
  rgb[0] = add_rn(rr, m);
  rgb[1] = add_rn(gg, m);
  rgb[2] = add_rn(bb, m);
}

// TF's contrast step for one value: m + f·(x − m).
DEEPOBS_HD inline float adjust_contrast(float x, float mean, float factor) {
  return add_rn(mean, mul_rn(factor, sub_rn(x, mean)));
}

// The channel mean of the contrast step from the channel's fold sum over `pixels` pixels: TF
// multiplies by 1.0f / pixels.
DEEPOBS_HD inline float channel_mean(float sum, std::int32_t pixels) {
  return mul_rn(sum, div_rn(1.0f, static_cast<float>(pixels)));
}

// per_image_standardization's offset and divisor from Σx and Σx² over the n values of an image.
struct Standardization {
  float mean;
  float scale;
};
DEEPOBS_HD inline Standardization standardization(float sum, float sum_of_squares, std::int32_t n) {
  const float count = static_cast<float>(n);
  const float mean = div_rn(sum, count);
  float variance = sub_rn(div_rn(sum_of_squares, count), mul_rn(mean, mean));
  variance = variance > 0.0f ? variance : 0.0f;
  const float stddev = sqrt_rn(variance);
  const float floor = div_rn(1.0f, sqrt_rn(count));
  return {mean, image_detail::max_of(stddev, floor)};
}

DEEPOBS_HD inline float standardize(float x, const Standardization& s) {
  return div_rn(sub_rn(x, s.mean), s.scale);
}

}  // namespace deepobs::kernels
