#include "kernels/cpu/image_batch.h"

#include <vector>

#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

float value_of(float x, bool square) {
  return square ? mul_rn(x, x) : x;
}

// Runs the whole pipeline for image i of the batch; v and s hold H·W·3 floats each.
void one_image(const std::uint8_t* src, std::int64_t row, std::int64_t i,
               const ImagePipelineConfig& c, const PhiloxDraw& draw, float* v, float* s,
               float* dst) {
  const std::int32_t pixels = c.height * c.width;
  const std::int32_t n = pixels * kImageChannels;
  const std::uint8_t* image = src + row * n;
  const ImageDraws d = image_draws(draw, static_cast<std::uint32_t>(i), c);
  for (std::int32_t y = 0; y < c.height; ++y) {
    for (std::int32_t x = 0; x < c.width; ++x) {
      const std::int32_t p = source_pixel(y, x, d, c);
      float* out = v + (y * c.width + x) * kImageChannels;
      for (int ch = 0; ch < kImageChannels; ++ch)
        out[ch] = p < 0 ? 0.0f : static_cast<float>(image[p * kImageChannels + ch]);
    }
  }
  if (c.augment) {
    for (std::int32_t e = 0; e < n; ++e)
      v[e] = add_rn(v[e], d.brightness);
    for (std::int32_t p = 0; p < pixels; ++p)
      adjust_saturation(v + p * kImageChannels, d.saturation);
    float sums[kImageChannels];
    fold_sum(v, pixels, kImageChannels, false, s, sums);
    float means[kImageChannels];
    for (int ch = 0; ch < kImageChannels; ++ch)
      means[ch] = channel_mean(sums[ch], pixels);
    for (std::int32_t e = 0; e < n; ++e)
      v[e] = adjust_contrast(v[e], means[e % kImageChannels], d.contrast);
  }
  float sum = 0.0f, sum_of_squares = 0.0f;
  fold_sum(v, n, 1, false, s, &sum);
  fold_sum(v, n, 1, true, s, &sum_of_squares);
  const Standardization st = standardization(sum, sum_of_squares, n);
  float* out = dst + i * n;
  for (int ch = 0; ch < kImageChannels; ++ch)
    for (std::int32_t p = 0; p < pixels; ++p)
      out[ch * pixels + p] = standardize(v[p * kImageChannels + ch], st);
}

}  // namespace

void fold_sum(const float* x, std::int64_t rows, std::int64_t cols, bool square, float* scratch,
              float* out) {
  std::int64_t remaining = rows;
  bool first_round = true;
  do {
    const std::int64_t right = remaining / 2;
    const std::int64_t left = remaining - right;
    if (first_round) {
      for (std::int64_t e = 0; e < right * cols; ++e)
        scratch[e] = add_rn(value_of(x[left * cols + e], square), value_of(x[e], square));
      if (left > right)
        for (std::int64_t c = 0; c < cols; ++c)
          scratch[right * cols + c] = value_of(x[right * cols + c], square);
    } else {
      for (std::int64_t e = 0; e < right * cols; ++e)
        scratch[e] = add_rn(scratch[e], scratch[left * cols + e]);
    }
    remaining = left;
    first_round = false;
  } while (remaining > 1);
  for (std::int64_t c = 0; c < cols; ++c)
    out[c] = scratch[c];
}

void image_batch(const std::uint8_t* src, const std::int64_t* index, std::int64_t first,
                 std::int64_t count, const ImagePipelineConfig& config, const PhiloxDraw& draw,
                 float* dst) {
  const std::int64_t n = std::int64_t{config.height} * config.width * kImageChannels;
  if (count <= 0 || n <= 0) return;
  // About 40 operations per value; one image per range when images are CIFAR-sized. Every image
  // is computed by one thread from its own inputs, so the thread count never changes a bit.
  parallel_for(count, grain_for_work(40.0 * static_cast<double>(n)),
               [&](std::int64_t begin, std::int64_t end) {
                 std::vector<float> v(static_cast<std::size_t>(n)), s(static_cast<std::size_t>(n));
                 for (std::int64_t i = begin; i < end; ++i) {
                   const std::int64_t row = index ? index[i] : first + i;
                   one_image(src, row, i, config, draw, v.data(), s.data(), dst);
                 }
               });
}

}  // namespace deepobs::kernels::cpu
