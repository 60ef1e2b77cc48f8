// DeepOBS's CIFAR/SVHN image pipeline on the CPU (kernels/image_pipeline.h, ops::image_batch):
// each step against values computed by hand from TF 1.x's formulas, the pad/crop/flip index map,
// the fold summation order, the draws, and the whole op against an independent reference in
// double. The CUDA kernel is compared against this one in tests/gpu/test_cuda_image_batch.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "core/ops/image_batch.h"
#include "kernels/cpu/image_batch.h"
#include "kernels/cpu/parallel.h"
#include "kernels/image_pipeline.h"
#include "tests/common/expect_error.h"

namespace deepobs {
namespace {

using kernels::ImageDraws;
using kernels::ImagePipelineConfig;

// ---- saturation: TF's AdjustSaturation on single pixels (0..255 scale) ----

struct Rgb {
  float r, g, b;
};

Rgb saturate(Rgb p, float scale) {
  float v[3] = {p.r, p.g, p.b};
  kernels::adjust_saturation(v, scale);
  return {v[0], v[1], v[2]};
}

void expect_rgb(Rgb got, Rgb want, const char* what) {
  EXPECT_NEAR(got.r, want.r, 1e-4) << what;
  EXPECT_NEAR(got.g, want.g, 1e-4) << what;
  EXPECT_NEAR(got.b, want.b, 1e-4) << what;
}

TEST(ImagePipeline, SaturationFollowsTfsHsvRoundTrip) {
  // (200,100,50): v 200, range 150, s 0.75, hue in the red sextant (g−b)/(6·range) = 1/18.
  // s·0.5 = 0.375: c = 75, m = 125, x = c·(1 − |6h − 1|) = 25 → (200, 150, 125).
  expect_rgb(saturate({200, 100, 50}, 0.5f), {200, 150, 125}, "red is the maximum");
  // (30,90,60): green maximum, h = (b−r)/(6·60) + 2/6 = 5/12; s = 2/3 · 1.5 = 1 (clipped at 1):
  // c = 90, m = 0, 6h = 2.5 → category 2, x = 90·(1 − |0.5 − 1|) = 45 → (0, 90, 45).
  expect_rgb(saturate({30, 90, 60}, 1.5f), {0, 90, 45}, "green is the maximum, s clipped to 1");
  // (10,20,80): blue maximum, h = (r−g)/(6·70) + 4/6 = 9/14; s = 7/8 · 0.5 = 0.4375: c = 35,
  // m = 45, 6h = 27/7 → category 3, x = 35·(1 − |27/7 − 2 − 1|) = 5 → (45, 50, 80).
  expect_rgb(saturate({10, 20, 80}, 0.5f), {45, 50, 80}, "blue is the maximum");
  // Grey has no saturation to scale (range 0 → h = s = 0) and comes back bit for bit.
  const Rgb grey = saturate({40, 40, 40}, 1.7f);
  EXPECT_EQ(grey.r, 40.0f);
  EXPECT_EQ(grey.g, 40.0f);
  EXPECT_EQ(grey.b, 40.0f);
  // Factor 0 gives grey at the maximum's value: s = 0 → c = 0, m = v.
  expect_rgb(saturate({200, 100, 50}, 0.0f), {200, 200, 200}, "factor 0");
  // Negative values (padding plus a negative brightness delta) go through TF's formulas too:
  // v < 0 gives s = 0, so the pixel is unchanged.
  const Rgb dark = saturate({-0.2f, -0.2f, -0.2f}, 1.5f);
  EXPECT_EQ(dark.r, -0.2f);
}

TEST(ImagePipeline, ContrastScalesAroundTheChannelMean) {
  // TF's AdjustContrastv2: m = Σx · (1/pixels), x' = m + f·(x − m); here one channel of a 2×2
  // image: values 200, 0, 40, 44 → m = 71; f = 1.5: 264.5, −35.5, 24.5; f = 0.5 for 44: 57.5.
  const float m = kernels::channel_mean(200.0f + 0.0f + 40.0f + 44.0f, 4);
  EXPECT_EQ(m, 71.0f);
  EXPECT_EQ(kernels::adjust_contrast(200.0f, m, 1.5f), 264.5f);
  EXPECT_EQ(kernels::adjust_contrast(0.0f, m, 1.5f), -35.5f);
  EXPECT_EQ(kernels::adjust_contrast(40.0f, m, 1.5f), 24.5f);
  EXPECT_EQ(kernels::adjust_contrast(44.0f, m, 0.5f), 57.5f);
}

TEST(ImagePipeline, StandardizationUsesTheAdjustedStddevFloor) {
  // Values 0, 2, 4, 6: mean 3, E[x²] = 14, variance 14 − 9 = 5, scale √5 (above 1/√4 = 0.5).
  const kernels::Standardization s = kernels::standardization(12.0f, 56.0f, 4);
  EXPECT_EQ(s.mean, 3.0f);
  EXPECT_FLOAT_EQ(s.scale, std::sqrt(5.0f));
  EXPECT_FLOAT_EQ(kernels::standardize(6.0f, s), 3.0f / std::sqrt(5.0f));
  // Values 10, 10.01, 10, 10.01: σ = 0.005 < 1/√4 = 0.5, so the scale is the floor 0.5.
  const float a = 10.0f, b = 10.01f;
  const kernels::Standardization t =
      kernels::standardization(2 * a + 2 * b, 2 * a * a + 2 * b * b, 4);
  EXPECT_EQ(t.scale, 0.5f);
  EXPECT_NEAR(kernels::standardize(b, t), (b - t.mean) / 0.5f, 1e-6);
  // A constant image: variance 0 (max(·, 0) also catches a rounding-negative E[x²] − m²); the
  // output is all zeros.
  const kernels::Standardization u = kernels::standardization(3 * 0.7f, 3 * 0.7f * 0.7f, 3);
  EXPECT_EQ(u.scale, 1.0f / std::sqrt(3.0f));
  EXPECT_EQ(kernels::standardize(0.7f, u), 0.0f);
}

TEST(ImagePipeline, FoldSumAddsHalvesInTfsOrder) {
  // Five rows: round 1 adds rows 3,4 onto 0,1 and copies row 2; round 2 adds row 2 onto row 0;
  // round 3 adds row 1 onto row 0: ((x3 + x0) + x2) + (x4 + x1). With x = {1e8, 1, −1e8, 4, 4}
  // that is ((4 + 1e8) − 1e8) + (4 + 1) = 5 in f32, where a left-to-right sum gives 8.
  const std::vector<float> x = {1e8f, 1.0f, -1e8f, 4.0f, 4.0f};
  std::vector<float> scratch(x.size());
  float sum = 0.0f;
  kernels::cpu::fold_sum(x.data(), 5, 1, false, scratch.data(), &sum);
  EXPECT_EQ(sum, ((4.0f + 1e8f) + -1e8f) + (4.0f + 1.0f));
  EXPECT_EQ(sum, 5.0f);
  // Interleaved columns are separate sums (the contrast step's channels); squares on request.
  const std::vector<float> y = {1, 10, 2, 20, 3, 30};  // rows (1,10), (2,20), (3,30)
  std::vector<float> s2(y.size());
  float sums[2];
  kernels::cpu::fold_sum(y.data(), 3, 2, false, s2.data(), sums);
  EXPECT_EQ(sums[0], 6.0f);
  EXPECT_EQ(sums[1], 60.0f);
  kernels::cpu::fold_sum(y.data(), 3, 2, true, s2.data(), sums);
  EXPECT_EQ(sums[0], 14.0f);
  EXPECT_EQ(sums[1], 1400.0f);
  // One row: its values.
  kernels::cpu::fold_sum(y.data(), 1, 2, false, s2.data(), sums);
  EXPECT_EQ(sums[1], 10.0f);
}

// ---- geometry: resize_image_with_crop_or_pad + random_crop + random_flip_left_right ----

TEST(ImagePipeline, PadCropFlipIndexMap) {
  ImagePipelineConfig c;
  c.height = 4;
  c.width = 4;
  c.pad = 2;
  ImageDraws d;
  // Offsets (2, 2) of the 8×8 padded image are the image itself.
  d.crop_y = 2;
  d.crop_x = 2;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x)
      EXPECT_EQ(kernels::source_pixel(y, x, d, c), y * 4 + x);
  // Offsets (0, 4): rows −2, −1 are padding; columns shift right by 2.
  d.crop_y = 0;
  d.crop_x = 4;
  EXPECT_EQ(kernels::source_pixel(0, 0, d, c), -1);
  EXPECT_EQ(kernels::source_pixel(1, 3, d, c), -1);
  EXPECT_EQ(kernels::source_pixel(2, 0, d, c), 0 * 4 + 2);
  EXPECT_EQ(kernels::source_pixel(3, 1, d, c), 1 * 4 + 3);
  EXPECT_EQ(kernels::source_pixel(3, 2, d, c), -1);  // column 4 of a 4-wide image
  // The flip mirrors the crop (TF crops first): output column x shows crop column 3 − x.
  d.flip = true;
  EXPECT_EQ(kernels::source_pixel(2, 0, d, c), -1);         // crop column 3 → image column 5
  EXPECT_EQ(kernels::source_pixel(2, 3, d, c), 0 * 4 + 2);  // crop column 0 → image column 2
  EXPECT_EQ(kernels::source_pixel(3, 2, d, c), 1 * 4 + 3);
}

TEST(ImagePipeline, DrawsCoverDeepobsRanges) {
  ImagePipelineConfig c;
  c.brightness_max_delta = static_cast<float>(63.0 / 255.0);
  c.saturation_lower = 0.5f;
  c.saturation_upper = 1.5f;
  c.contrast_lower = 0.2f;
  c.contrast_upper = 1.8f;
  const kernels::PhiloxDraw draw = kernels::make_philox_draw(42, 7, 3);
  std::set<int> ys, xs;
  int flips = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const ImageDraws d = kernels::image_draws(draw, static_cast<std::uint32_t>(i), c);
    ys.insert(d.crop_y);
    xs.insert(d.crop_x);
    flips += d.flip;
    EXPECT_GE(d.brightness, -c.brightness_max_delta);
    EXPECT_LT(d.brightness, c.brightness_max_delta);
    EXPECT_GE(d.saturation, 0.5f);
    EXPECT_LT(d.saturation, 1.5f);
    EXPECT_GE(d.contrast, 0.2f);
    EXPECT_LE(d.contrast, 1.8f);
  }
  EXPECT_EQ(ys, (std::set<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(xs, (std::set<int>{0, 1, 2, 3, 4}));
  EXPECT_NEAR(flips, n / 2, 150);  // 5σ of a fair coin
  // SVHN: no flip; the test pipeline: the centre crop and nothing else.
  c.flip = false;
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(kernels::image_draws(draw, static_cast<std::uint32_t>(i), c).flip);
  c.augment = false;
  const ImageDraws t = kernels::image_draws(draw, 5, c);
  EXPECT_EQ(t.crop_y, c.pad);
  EXPECT_EQ(t.crop_x, c.pad);
  EXPECT_EQ(t.brightness, 0.0f);
}

// ---- the op against an independent reference in double ----

Tensor random_images(std::int64_t n, std::int64_t h, std::int64_t w, std::uint32_t seed) {
  std::vector<std::uint8_t> v(static_cast<std::size_t>(n * h * w * 3));
  std::uint32_t s = seed;
  for (auto& b : v) {
    s = s * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(s >> 24);
  }
  return Tensor::from_vector(v, {n, h, w, 3});
}

// TF's formulas in double, for one image, with the kernel's draws: output CHW.
std::vector<double> reference(const std::uint8_t* img, int h, int w, const ImageDraws& d,
                              const ImagePipelineConfig& c) {
  const int n = h * w * 3;
  std::vector<double> v(static_cast<std::size_t>(n));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int xc = d.flip ? w - 1 - x : x;
      const int sy = y + d.crop_y - c.pad, sx = xc + d.crop_x - c.pad;
      const bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
      for (int ch = 0; ch < 3; ++ch)
        v[(y * w + x) * 3 + ch] = inside ? img[(sy * w + sx) * 3 + ch] : 0.0;
    }
  if (c.augment) {
    for (auto& e : v)
      e += d.brightness;
    for (int p = 0; p < h * w; ++p) {
      double* q = &v[static_cast<std::size_t>(p) * 3];
      const double mx = std::max({q[0], q[1], q[2]}), mn = std::min({q[0], q[1], q[2]});
      const double range = mx - mn;
      double s = mx > 0 ? range / mx : 0.0, hue = 0.0;
      if (range > 0) {
        if (q[0] == mx)
          hue = (q[1] - q[2]) / (6 * range);
        else if (q[1] == mx)
          hue = (q[2] - q[0]) / (6 * range) + 2.0 / 6;
        else
          hue = (q[0] - q[1]) / (6 * range) + 4.0 / 6;
        if (hue < 0) hue += 1;
      }
      s = std::min(1.0, std::max(0.0, s * d.saturation));
      const double cc = s * mx, m = mx - cc, dh = hue * 6;
      const double x = cc * (1 - std::abs(std::fmod(dh, 2.0) - 1));
      const int cat = static_cast<int>(dh);
      const double rgb[6][3] = {{cc, x, 0}, {x, cc, 0}, {0, cc, x},
                                {0, x, cc}, {x, 0, cc}, {cc, 0, x}};
      for (int ch = 0; ch < 3; ++ch)
        q[ch] = (cat >= 0 && cat < 6 ? rgb[cat][ch] : 0.0) + m;
    }
    for (int ch = 0; ch < 3; ++ch) {
      double mean = 0;
      for (int p = 0; p < h * w; ++p)
        mean += v[static_cast<std::size_t>(p * 3 + ch)];
      mean /= h * w;
      for (int p = 0; p < h * w; ++p) {
        double& e = v[static_cast<std::size_t>(p * 3 + ch)];
        e = mean + d.contrast * (e - mean);
      }
    }
  }
  double sum = 0, sq = 0;
  for (double e : v) {
    sum += e;
    sq += e * e;
  }
  const double mean = sum / n;
  const double scale = std::max(std::sqrt(std::max(sq / n - mean * mean, 0.0)), 1 / std::sqrt(n));
  std::vector<double> out(static_cast<std::size_t>(n));
  for (int p = 0; p < h * w; ++p)
    for (int ch = 0; ch < 3; ++ch)
      out[static_cast<std::size_t>(ch * h * w + p)] =
          (v[static_cast<std::size_t>(p * 3 + ch)] - mean) / scale;
  return out;
}

void expect_matches_reference(const ops::ImagePipeline& p, int h, int w) {
  const Tensor images = random_images(6, h, w, 11);
  const Tensor order = Tensor::from_vector<std::int64_t>({4, 1, 5, 0, 2, 3}, {6});
  const ops::ImageDrawAddress address{42, 9, 16};
  const Tensor out = ops::image_batch(images, order, 1, 4, p, address);
  ASSERT_EQ(out.shape(), (Shape{4, 3, h, w}));
  const std::vector<float> got = out.to_vector<float>();
  const ImagePipelineConfig c = ops::image_pipeline_config(p, h, w);
  const kernels::PhiloxDraw draw = kernels::make_philox_draw(42, 9, 16);
  const std::int64_t rows[4] = {1, 5, 0, 2};
  double worst = 0;
  for (int i = 0; i < 4; ++i) {
    const ImageDraws d = kernels::image_draws(draw, static_cast<std::uint32_t>(i), c);
    const auto want = reference(images.data<std::uint8_t>() + rows[i] * h * w * 3, h, w, d, c);
    for (std::size_t e = 0; e < want.size(); ++e)
      worst =
          std::max(worst, std::abs(got[static_cast<std::size_t>(i) * want.size() + e] - want[e]));
  }
  // f32 against double through ~10 roundings of values of size ~3: a few 1e-6.
  EXPECT_LT(worst, 2e-4) << "augment " << p.augment << ", flip " << p.flip;
}

TEST(ImagePipeline, OpMatchesTfFormulasInDouble) {
  ops::ImagePipeline cifar;  // DeepOBS's CIFAR training pipeline
  expect_matches_reference(cifar, 32, 32);
  ops::ImagePipeline svhn = cifar;
  svhn.flip = false;
  expect_matches_reference(svhn, 32, 32);
  ops::ImagePipeline test = cifar;
  test.augment = false;
  expect_matches_reference(test, 32, 32);
  // Small and odd sizes (the fold's odd rounds), strong distortions.
  ops::ImagePipeline strong = cifar;
  strong.pad = 1;
  strong.brightness_max_delta = 40.0f;
  strong.saturation_lower = 0.0f;
  strong.saturation_upper = 3.0f;
  expect_matches_reference(strong, 3, 5);
}

TEST(ImagePipeline, TwoByTwoImageThroughSaturationAndContrast) {
  // No crop (pad 0), no brightness, saturation 0.5 and contrast 1.5 for sure: the pixels of
  // SaturationFollowsTfsHsvRoundTrip at factor 0.5 — (200,150,125), (60,90,75), (40,40,40),
  // (45,50,80) — then per channel m + 1.5(x − m), then standardisation.
  const std::vector<std::uint8_t> px = {200, 100, 50, 30, 90, 60, 40, 40, 40, 10, 20, 80};
  const Tensor image = Tensor::from_vector(px, {1, 2, 2, 3});
  ops::ImagePipeline p;
  p.pad = 0;
  p.flip = false;
  p.brightness_max_delta = 0.0f;
  p.saturation_lower = p.saturation_upper = 0.5f;
  p.contrast_lower = p.contrast_upper = 1.5f;
  const std::vector<float> got =
      ops::image_batch(image, Tensor(), 0, 1, p, {1, 2, 3}).to_vector<float>();
  const double sat[4][3] = {{200, 150, 125}, {60, 90, 75}, {40, 40, 40}, {45, 50, 80}};
  double con[4][3];
  for (int ch = 0; ch < 3; ++ch) {
    const double m = (sat[0][ch] + sat[1][ch] + sat[2][ch] + sat[3][ch]) / 4;  // 86.25, 82.5, 80
    for (int q = 0; q < 4; ++q)
      con[q][ch] = m + 1.5 * (sat[q][ch] - m);
  }
  double sum = 0, sq = 0;
  for (auto& q : con)
    for (double e : q) {
      sum += e;
      sq += e * e;
    }
  const double mean = sum / 12, scale = std::sqrt(sq / 12 - mean * mean);
  for (int ch = 0; ch < 3; ++ch)
    for (int q = 0; q < 4; ++q)
      EXPECT_NEAR(got[static_cast<std::size_t>(ch * 4 + q)], (con[q][ch] - mean) / scale, 1e-5)
          << "channel " << ch << " pixel " << q;
}

TEST(ImagePipeline, ResultsDoNotDependOnTheThreadCount) {
  const Tensor images = random_images(16, 32, 32, 5);
  const int before = kernels::cpu::cpu_threads();
  kernels::cpu::set_cpu_threads(1);
  const auto one = ops::image_batch(images, Tensor(), 0, 16, {}, {7, 1, 2}).to_vector<float>();
  kernels::cpu::set_cpu_threads(std::max(2, before));
  const auto many = ops::image_batch(images, Tensor(), 0, 16, {}, {7, 1, 2}).to_vector<float>();
  kernels::cpu::set_cpu_threads(before);
  EXPECT_EQ(one, many);
}

TEST(ImagePipeline, BadInputIsAClearError) {
  const Tensor images = random_images(3, 4, 4, 1);
  testing::expect_error([&] { ops::image_batch(images, Tensor(), 2, 2, {}, {}); },
                        {"image_batch", "exceed the 3 images"});
  testing::expect_error([&] { ops::image_batch(images.to(DType::F32), Tensor(), 0, 1, {}, {}); },
                        {"image_batch", "u8 [N, H, W, 3]"});
  testing::expect_error(
      [&] {
        ops::image_batch(Tensor::zeros({2, 4, 4, 1}, DType::U8), Tensor(), 0, 1, {}, {});
      },
      {"image_batch", "u8 [N, H, W, 3]"});
  testing::expect_error(
      [&] {
        ops::image_batch(images, Tensor::from_vector<std::int64_t>({0, 1}, {2}), 1, 2, {}, {});
      },
      {"image_batch", "exceed the order of 2"});
  ops::ImagePipeline bad;
  bad.contrast_lower = 2.0f;
  testing::expect_error([&] { ops::image_batch(images, Tensor(), 0, 1, bad, {}); },
                        {"image_batch", "contrast interval"});
}

}  // namespace
}  // namespace deepobs
