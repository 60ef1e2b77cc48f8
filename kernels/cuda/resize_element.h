// One output (forward) or one input pixel (gather backward) of the CUDA TF1 bilinear resize
// (kernels/cuda/resize.cu), as host/device functions: the kernels run them per thread, and the CPU
// suite runs the very same functions against kernels/cpu/resize.h bit for bit
// (tests/cpu/test_cuda_pool_resize_elements.cpp). Pointers point at one plane; scale_h/scale_w
// are the single-precision ratios in / out.
#pragma once

#include <cstdint>

#include "kernels/cpu/resize.h"
#include "kernels/cuda/gather_index.h"
#include "kernels/hd.h"
#include "kernels/round_nearest.h"

namespace deepobs::kernels::cuda::resize_element {

using kernels::cpu::ResizeGeometry;

// a + (b − a)·f with the CPU's rounding steps.
DEEPOBS_HD inline float lerp(float a, float b, float f) {
  return add_rn(a, mul_rn(sub_rn(b, a), f));
}

DEEPOBS_HD inline float output(const ResizeGeometry& g, float scale_h, float scale_w,
                               const float* src, std::int64_t oh, std::int64_t ow) {
  const auto r = gather::tap(oh, scale_h, g.in_h);
  const auto c = gather::tap(ow, scale_w, g.in_w);
  const float* top_row = src + r.lo * g.in_w;
  const float* bottom_row = src + r.hi * g.in_w;
  const float top = lerp(top_row[c.lo], top_row[c.hi], c.frac);
  const float bottom = lerp(bottom_row[c.lo], bottom_row[c.hi], c.frac);
  return lerp(top, bottom, r.frac);
}

// Σ of the weighted dy that the forward's taps send to pixel (ih, iw), in the CPU scatter's order:
// outputs row-major, then top-left, top-right, bottom-left, bottom-right.
DEEPOBS_HD inline float input_grad(const ResizeGeometry& g, float scale_h, float scale_w,
                                   const float* dy, std::int64_t ih, std::int64_t iw) {
  const std::int64_t ow_start = gather::first_reaching(iw, scale_w, g.in_w, g.out_w);
  float acc = 0.0f;
  // Outputs reaching row ih have lo ∈ {ih − 1, ih}; lo grows with the output index.
  for (std::int64_t oh = gather::first_reaching(ih, scale_h, g.in_h, g.out_h); oh < g.out_h; ++oh) {
    const auto r = gather::tap(oh, scale_h, g.in_h);
    if (r.lo > ih) break;
    const bool top_hit = r.lo == ih, bottom_hit = r.hi == ih;
    if (!top_hit && !bottom_hit) continue;
    for (std::int64_t ow = ow_start; ow < g.out_w; ++ow) {
      const auto c = gather::tap(ow, scale_w, g.in_w);
      if (c.lo > iw) break;
      const bool left_hit = c.lo == iw, right_hit = c.hi == iw;
      if (!left_hit && !right_hit) continue;
      const float v = dy[oh * g.out_w + ow];
      const float top = mul_rn(v, sub_rn(1.0f, r.frac));
      const float bottom = mul_rn(v, r.frac);
      const float c_lo = sub_rn(1.0f, c.frac);
      if (top_hit && left_hit) acc = add_rn(acc, mul_rn(top, c_lo));
      if (top_hit && right_hit) acc = add_rn(acc, mul_rn(top, c.frac));
      if (bottom_hit && left_hit) acc = add_rn(acc, mul_rn(bottom, c_lo));
      if (bottom_hit && right_hit) acc = add_rn(acc, mul_rn(bottom, c.frac));
    }
  }
  return acc;
}

}  // namespace deepobs::kernels::cuda::resize_element
