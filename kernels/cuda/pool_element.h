// One output (forward) or one input pixel (gather backward) of the CUDA pooling kernels
// (kernels/cuda/pool.cu), as host/device functions: the kernels run them per thread, and the CPU
// suite runs the very same functions against kernels/cpu/pool.h bit for bit
// (tests/cpu/test_cuda_pool_resize_elements.cpp). Pointers point at one plane.
#pragma once

#include <cstdint>

#include "kernels/cpu/pool.h"
#include "kernels/cuda/gather_index.h"
#include "kernels/hd.h"
#include "kernels/round_nearest.h"

namespace deepobs::kernels::cuda::pool_element {

using kernels::cpu::PoolGeometry;

// Window maximum of output (oh, ow) and the position ih·in_w + iw it came from: row-major window
// order, strictly greater wins (ties keep the first), a NaN replaces any number (first NaN kept).
DEEPOBS_HD inline void max_output(const PoolGeometry& g, const float* src, std::int64_t oh,
                                  std::int64_t ow, float* value, std::int32_t* at) {
  const auto rows = gather::window_span(oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
  const auto cols = gather::window_span(ow, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
  std::int64_t best_at = rows.lo * g.in_w + cols.lo;
  float best = src[best_at];
  for (std::int64_t ih = rows.lo; ih < rows.hi; ++ih) {
    for (std::int64_t iw = cols.lo; iw < cols.hi; ++iw) {
      const float v = src[ih * g.in_w + iw];
      const bool v_nan = v != v, best_nan = best != best;
      if (v > best || (v_nan && !best_nan)) {
        best = v;
        best_at = ih * g.in_w + iw;
      }
    }
  }
  *value = best;
  *at = static_cast<std::int32_t>(best_at);
}

// Σ dy over the outputs whose argmax is pixel (ih, iw), added in increasing output order (the
// order of the CPU's scatter).
DEEPOBS_HD inline float max_input_grad(const PoolGeometry& g, const float* dy,
                                       const std::int32_t* argmax, std::int64_t ih,
                                       std::int64_t iw) {
  const auto here = static_cast<std::int32_t>(ih * g.in_w + iw);
  const auto rows = gather::covering(ih, g.stride_h, g.pad_top, g.kernel_h, g.out_h);
  const auto cols = gather::covering(iw, g.stride_w, g.pad_left, g.kernel_w, g.out_w);
  float acc = 0.0f;
  for (std::int64_t oh = rows.lo; oh <= rows.hi; ++oh) {
    for (std::int64_t ow = cols.lo; ow <= cols.hi; ++ow) {
      const std::int64_t o = oh * g.out_w + ow;
      if (argmax[o] == here) acc = add_rn(acc, dy[o]);
    }
  }
  return acc;
}

// Mean over the image pixels of output (oh, ow)'s window, summed in row-major window order.
DEEPOBS_HD inline float avg_output(const PoolGeometry& g, const float* src, std::int64_t oh,
                                   std::int64_t ow) {
  const auto rows = gather::window_span(oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
  const auto cols = gather::window_span(ow, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
  float acc = 0.0f;
  for (std::int64_t ih = rows.lo; ih < rows.hi; ++ih) {
    for (std::int64_t iw = cols.lo; iw < cols.hi; ++iw)
      acc = add_rn(acc, src[ih * g.in_w + iw]);
  }
  const auto count = (rows.hi - rows.lo) * (cols.hi - cols.lo);
  return div_rn(acc, static_cast<float>(count));
}

// Σ over the windows covering pixel (ih, iw) of dy / (that window's pixel count), in increasing
// output order.
DEEPOBS_HD inline float avg_input_grad(const PoolGeometry& g, const float* dy, std::int64_t ih,
                                       std::int64_t iw) {
  const auto rows = gather::covering(ih, g.stride_h, g.pad_top, g.kernel_h, g.out_h);
  const auto cols = gather::covering(iw, g.stride_w, g.pad_left, g.kernel_w, g.out_w);
  float acc = 0.0f;
  for (std::int64_t oh = rows.lo; oh <= rows.hi; ++oh) {
    const auto r = gather::window_span(oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
    for (std::int64_t ow = cols.lo; ow <= cols.hi; ++ow) {
      const auto c = gather::window_span(ow, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
      const auto count = (r.hi - r.lo) * (c.hi - c.lo);
      acc = add_rn(acc, div_rn(dy[oh * g.out_w + ow], static_cast<float>(count)));
    }
  }
  return acc;
}

}  // namespace deepobs::kernels::cuda::pool_element
