// Bilinear image resize on the CPU with TF 1.x's legacy coordinate mapping (SPEC §1.3:
// tf.image.resize_images with align_corners=False, no half-pixel centres).
//
// Layouts: x [planes, in_h, in_w] → y [planes, out_h, out_w], contiguous row-major; a plane is one
// (image, channel) pair of an NCHW tensor. Along each dimension output index d reads source
// coordinate s = d · (in / out), with the ratio and s computed in single precision as TF does;
// s0 = floor(s), s1 = min(s0 + 1, in − 1), weights (1 − f, f) with f = s − s0. So the output never
// reads past the last row/column, and downscaling skips pixels rather than averaging them.
//   y = top + (bottom − top) · fy, top = x[s0y, s0x] + (x[s0y, s1x] − x[s0y, s0x]) · fx, bottom
//   likewise on row s1y (TF's order of evaluation, so that f32 rounding follows TF's).
// Large calls spread the planes over the OpenMP threads, each plane on one thread in a fixed order;
// outputs are overwritten. T is float or double.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

struct ResizeGeometry {
  std::int64_t planes = 0;
  std::int64_t in_h = 0;
  std::int64_t in_w = 0;
  std::int64_t out_h = 0;
  std::int64_t out_w = 0;
};

template <class T>
void resize_bilinear_forward(const ResizeGeometry& g, const T* x, T* y);

// dx [planes, in_h, in_w] = the adjoint: every dy scattered onto its four source pixels with the
// forward's weights, accumulated in output order.
template <class T>
void resize_bilinear_backward(const ResizeGeometry& g, const T* dy, T* dx);

}  // namespace deepobs::kernels::cpu
