// 2-D max and average pooling on the CPU.
//
// Layouts: x [planes, in_h, in_w] and y [planes, out_h, out_w], contiguous row-major, where a plane
// is one (image, channel) pair of an NCHW tensor (planes = batch · channels). Output pixel (p, q)
// reads the window of rows p·stride_h − pad_top + [0, kernel_h) and columns
// q·stride_w − pad_left + [0, kernel_w); positions outside the image are padding. As in TF 1.x
// (SPEC §1.3), padding is −∞ for max pooling (never chosen) and is left out of the average's
// divisor. Bottom/right padding is implicit in out_h/out_w. The caller guarantees that every
// window holds at least one image pixel (padding < kernel on each side suffices).
//
// Large calls spread the planes over the OpenMP threads, each plane on one thread in a fixed order,
// so results do not depend on scheduling. Outputs are overwritten. T is float or double.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

struct PoolGeometry {
  std::int64_t planes = 0;
  std::int64_t in_h = 0;
  std::int64_t in_w = 0;
  std::int64_t kernel_h = 0;
  std::int64_t kernel_w = 0;
  std::int64_t stride_h = 1;
  std::int64_t stride_w = 1;
  std::int64_t pad_top = 0;
  std::int64_t pad_left = 0;
  std::int64_t out_h = 0;
  std::int64_t out_w = 0;
};

// y = window maximum; argmax [planes, out_h, out_w] receives the position ih·in_w + iw of the
// chosen pixel within its plane. Ties go to the first pixel in row-major window order; a NaN in the
// window wins (the first one), so divergence is not hidden.
template <class T>
void max_pool2d_forward(const PoolGeometry& g, const T* x, T* y, std::int32_t* argmax);

// dx [planes, in_h, in_w] = Σ of dy over the outputs whose argmax is that pixel.
template <class T>
void max_pool2d_backward(const PoolGeometry& g, const T* dy, const std::int32_t* argmax, T* dx);

// y = mean over the image pixels in the window (padding excluded from the count).
template <class T>
void avg_pool2d_forward(const PoolGeometry& g, const T* x, T* y);

// dx = the adjoint: each dy is spread evenly over the image pixels of its window.
template <class T>
void avg_pool2d_backward(const PoolGeometry& g, const T* dy, T* dx);

}  // namespace deepobs::kernels::cpu
