// Index helpers of the gather-form backward kernels (kernels/cuda/pool.cu, resize.cu): which
// outputs reach a given input pixel. CUDA-free and host/device (DEEPOBS_HD), so the CPU test suite
// checks them against brute force (tests/cpu/test_cuda_gather_index.cpp).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/hd.h"
#include "kernels/round_nearest.h"

namespace deepobs::kernels::cuda::gather {

// ---- pooling windows ----

// Image rows (or columns) [lo, hi) covered by window `o` along one dimension (padding clipped),
// as in kernels/cpu/pool.cpp.
struct Span {
  std::int64_t lo, hi;
};
DEEPOBS_HD inline Span window_span(std::int64_t o, std::int64_t stride, std::int64_t pad,
                                   std::int64_t kernel, std::int64_t extent) {
  const std::int64_t start = o * stride - pad;
  return {start > 0 ? start : 0, start + kernel < extent ? start + kernel : extent};
}

// The windows [lo, hi] (inclusive; empty when lo > hi) along one dimension whose span holds input
// index i (0 ≤ i < extent): o·stride − pad ≤ i ≤ o·stride − pad + kernel − 1, 0 ≤ o < out.
DEEPOBS_HD inline Span covering(std::int64_t i, std::int64_t stride, std::int64_t pad,
                                std::int64_t kernel, std::int64_t out) {
  const std::int64_t a = i + pad - kernel + 1;  // o·stride ≥ a
  const std::int64_t lo = a <= 0 ? 0 : (a + stride - 1) / stride;
  const std::int64_t hi = (i + pad) / stride;  // o·stride ≤ i + pad, and i + pad ≥ 0
  return {lo, hi < out - 1 ? hi : out - 1};
}

// ---- TF1 bilinear taps ----

// Where output index d of one dimension reads from (kernels/cpu/resize.cpp `taps`): source indices
// lo and hi = min(lo + 1, in − 1) and the weight of hi, with scale = in / out in single precision.
struct Tap {
  std::int64_t lo, hi;
  float frac;
};
DEEPOBS_HD inline Tap tap(std::int64_t d, float scale, std::int64_t in) {
  const float src = mul_rn(static_cast<float>(d), scale);
  const float base = floorf(src);
  const auto lo = static_cast<std::int64_t>(base);
  return {lo, lo + 1 < in - 1 ? lo + 1 : in - 1, sub_rn(src, base)};
}

// The first output index whose tap can reach source index i (lo ≥ i − 1), or `out` if none: from
// an estimate two below the real-valued answer, stepped forward with the exact taps (lo is
// non-decreasing in d because rounding is monotone). The outputs reaching i are then those from
// here on with lo ≤ i and (lo == i or hi == i).
DEEPOBS_HD inline std::int64_t first_reaching(std::int64_t i, float scale, std::int64_t in,
                                              std::int64_t out) {
  const double estimate = static_cast<double>(i - 1) / static_cast<double>(scale);
  std::int64_t d = static_cast<std::int64_t>(floor(estimate)) - 2;
  if (d < 0) d = 0;
  while (d < out && tap(d, scale, in).lo < i - 1)
    ++d;
  return d;
}

}  // namespace deepobs::kernels::cuda::gather
