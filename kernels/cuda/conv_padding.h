// How a ConvGeometry (explicit, possibly asymmetric padding) is handed to cuDNN, whose padding is
// symmetric. Header-only and CUDA-free, so the CPU test suite can check the strategy with the CPU
// kernels (tests/cpu/test_cuda_conv_padding.cpp).
//
// An output reads the input at p·stride − pad_top + i: only the leading padding enters the values;
// the trailing padding only sets out_h. So if cuDNN's symmetric padding (pad_top, pad_left) gives
// exactly out_h × out_w, cuDNN runs directly on x. Otherwise x is placed into a zero buffer of
// (out − 1)·stride + kernel rows/columns at offset (pad_top, pad_left) — exactly the rows the
// windows read — and cuDNN runs without padding; the input gradient is then the padded gradient
// cropped at that offset (input pixels no window reads get 0).
#pragma once

#include <cstdint>

#include "kernels/cpu/conv.h"

namespace deepobs::kernels::cuda {

struct CudnnPadding {
  bool explicit_buffer = false;  // true: x is copied into a padded buffer first
  std::int64_t in_h = 0;         // spatial size of the input cuDNN sees
  std::int64_t in_w = 0;
  std::int64_t pad_h = 0;  // cuDNN's symmetric padding (0 with the explicit buffer)
  std::int64_t pad_w = 0;
};

// Whether cuDNN's symmetric padding `pad` maps `in` to exactly `out` outputs.
inline bool symmetric_padding_fits(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                   std::int64_t pad, std::int64_t out) {
  const std::int64_t span = in + 2 * pad - kernel;
  return pad < kernel && span >= 0 && span / stride + 1 == out;
}

inline CudnnPadding cudnn_padding(const kernels::cpu::ConvGeometry& g) {
  CudnnPadding p;
  const bool direct = symmetric_padding_fits(g.in_h, g.kernel_h, g.stride_h, g.pad_top, g.out_h) &&
                      symmetric_padding_fits(g.in_w, g.kernel_w, g.stride_w, g.pad_left, g.out_w);
  if (direct) {
    p.in_h = g.in_h;
    p.in_w = g.in_w;
    p.pad_h = g.pad_top;
    p.pad_w = g.pad_left;
  } else {
    p.explicit_buffer = true;
    p.in_h = (g.out_h - 1) * g.stride_h + g.kernel_h;
    p.in_w = (g.out_w - 1) * g.stride_w + g.kernel_w;
  }
  return p;
}

}  // namespace deepobs::kernels::cuda
