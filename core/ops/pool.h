// 2-D max and average pooling with autograd (kernels/cpu/pool.h on the CPU), with TF 1.x's
// treatment of padding (SPEC §1.3): max pooling ignores padded positions (they act as −∞) and
// average pooling divides by the number of image pixels in the window, not by kh·kw.
//
// x [N, C, H, W] (f32 or f64) → [N, C, H_out, W_out], H_out = floor((H + top + bottom − kh) /
// stride_h) + 1 (likewise W_out). Each padding amount must be smaller than the window along its
// dimension so that every window holds an image pixel ('same' padding always satisfies this).
// Throws deepobs::Error naming the op and the shape on a wrong rank or dtype, a non-CPU device, a
// window or stride < 1, or a padding outside [0, kernel).
#pragma once

#include "core/ops/padding.h"
#include "core/tensor.h"

namespace deepobs::ops {

// Window maximum. Ties send the gradient to the first pixel in row-major window order; a NaN in a
// window propagates to its output.
Tensor max_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  const Padding2d& padding);
Tensor max_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  PaddingMode mode);

// Window mean over the image pixels it covers.
Tensor avg_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  const Padding2d& padding);
Tensor avg_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  PaddingMode mode);

}  // namespace deepobs::ops
