#include "datasets/imagenet_preprocess.h"

#include <array>
#include <cmath>

#include "core/error.h"

namespace deepobs::datasets {
namespace {

constexpr int kCropPositions = kImageNetResizeSide - kImageNetCropSide + 1;  // 33

// byte · f32(1/255), TF's convert_image_dtype(uint8 → float32).
const std::array<float, 256>& byte_to_unit() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    const float scale = 1.0f / 255.0f;
    for (int b = 0; b < 256; ++b)
      t[static_cast<std::size_t>(b)] = static_cast<float>(b) * scale;
    return t;
  }();
  return table;
}

// resize_image_with_crop_or_pad's shift from the target's to the source's coordinates.
int crop_or_pad_shift(int size, int target) {
  return size >= target ? (size - target) / 2 : -((target - size) / 2);
}

int position(double u) {
  const int p = static_cast<int>(std::floor(u * kCropPositions));
  return p < 0 ? 0 : (p >= kCropPositions ? kCropPositions - 1 : p);
}

}  // namespace

ImageSize aspect_preserving_size(int height, int width, int smallest_side) {
  DEEPOBS_CHECK(height > 0 && width > 0 && smallest_side > 0, "image size ", height, "x", width,
                " cannot be resized (it needs positive sides)");
  const float h = static_cast<float>(height);
  const float w = static_cast<float>(width);
  const float side = static_cast<float>(smallest_side);
  const float scale = h > w ? side / w : side / h;
  return {static_cast<int>(std::nearbyint(h * scale)), static_cast<int>(std::nearbyint(w * scale))};
}

BilinearSample legacy_bilinear_sample(int out_index, int in_size, int out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const float s = static_cast<float>(out_index) * scale;
  const float lower = std::floor(s);
  BilinearSample r;
  r.lower = static_cast<int>(lower);
  if (r.lower < 0) r.lower = 0;
  const int upper = static_cast<int>(std::ceil(s));
  r.upper = upper < in_size - 1 ? upper : in_size - 1;
  r.lerp = s - lower;
  return r;
}

CropWindow train_window(ImageSize resized, double u_row, double u_col, double u_flip) {
  CropWindow w;
  w.top = crop_or_pad_shift(resized.height, kImageNetResizeSide) + position(u_row);
  w.left = crop_or_pad_shift(resized.width, kImageNetResizeSide) + position(u_col);
  w.flip = u_flip < 0.5;
  return w;
}

CropWindow test_window(ImageSize resized) {
  CropWindow w;
  w.top = (resized.height - kImageNetCropSide) / 2;
  w.left = (resized.width - kImageNetCropSide) / 2;
  return w;
}

void preprocess_image(const RgbImage& image, ImageSize resized, const CropWindow& window,
                      float* out) {
  DEEPOBS_CHECK(image.height > 0 && image.width > 0 &&
                    image.pixels.size() == static_cast<std::size_t>(image.height) *
                                               static_cast<std::size_t>(image.width) * 3,
                "preprocess_image: empty or inconsistent image");
  constexpr int side = kImageNetCropSide;
  constexpr std::size_t plane = static_cast<std::size_t>(side) * side;
  const auto& unit = byte_to_unit();
  // The columns' samples, shared by every row; -1: the column lies in the padding.
  std::array<BilinearSample, side> cols{};
  std::array<bool, side> col_inside{};
  for (int j = 0; j < side; ++j) {
    const int c = window.left + (window.flip ? side - 1 - j : j);
    col_inside[static_cast<std::size_t>(j)] = c >= 0 && c < resized.width;
    if (col_inside[static_cast<std::size_t>(j)])
      cols[static_cast<std::size_t>(j)] = legacy_bilinear_sample(c, image.width, resized.width);
  }
  const std::size_t stride = static_cast<std::size_t>(image.width) * 3;
  double sum = 0.0, sum_sq = 0.0;
  for (int i = 0; i < side; ++i) {
    const int r = window.top + i;
    float* row_out[3] = {out + static_cast<std::size_t>(i) * side,
                         out + plane + static_cast<std::size_t>(i) * side,
                         out + 2 * plane + static_cast<std::size_t>(i) * side};
    if (r < 0 || r >= resized.height) {
      for (auto* p : row_out)
        for (int j = 0; j < side; ++j)
          p[j] = 0.0f;
      continue;
    }
    const BilinearSample ys = legacy_bilinear_sample(r, image.height, resized.height);
    const std::uint8_t* top = image.pixels.data() + static_cast<std::size_t>(ys.lower) * stride;
    const std::uint8_t* bottom = image.pixels.data() + static_cast<std::size_t>(ys.upper) * stride;
    for (int j = 0; j < side; ++j) {
      if (!col_inside[static_cast<std::size_t>(j)]) {
        for (auto* p : row_out)
          p[j] = 0.0f;
        continue;
      }
      const BilinearSample& xs = cols[static_cast<std::size_t>(j)];
      const std::size_t l = static_cast<std::size_t>(xs.lower) * 3;
      const std::size_t u = static_cast<std::size_t>(xs.upper) * 3;
      for (std::size_t c = 0; c < 3; ++c) {
        // TF's ResizeBilinear order: top and bottom along x first, then along y.
        const float tl = unit[top[l + c]], tr = unit[top[u + c]];
        const float bl = unit[bottom[l + c]], br = unit[bottom[u + c]];
        const float t = tl + (tr - tl) * xs.lerp;
        const float b = bl + (br - bl) * xs.lerp;
        const float v = t + (b - t) * ys.lerp;
        row_out[c][j] = v;
        sum += v;
        sum_sq += static_cast<double>(v) * v;
      }
    }
  }
  // per_image_standardization: the sums in double (TF's order of summation is its thread
  // pool's; a double sum is at least as accurate), then TF's f32 formulas.
  const double n = static_cast<double>(kImageNetImageFloats);
  const float mean = static_cast<float>(sum / n);
  const float mean_sq = static_cast<float>(sum_sq / n);
  float variance = mean_sq - mean * mean;
  if (variance < 0.0f) variance = 0.0f;
  const float min_stddev = static_cast<float>(1.0 / std::sqrt(n));
  const float stddev = std::sqrt(variance);
  const float scale = stddev > min_stddev ? stddev : min_stddev;
  for (std::size_t k = 0; k < static_cast<std::size_t>(kImageNetImageFloats); ++k)
    out[k] = (out[k] - mean) / scale;
}

}  // namespace deepobs::datasets
