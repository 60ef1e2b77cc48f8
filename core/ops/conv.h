// 2-D convolution and transposed convolution with autograd (kernels/cpu/conv.h on the CPU).
//
// Images are NCHW. Strides and kernel sizes are in pixels; padding is explicit and may be
// asymmetric (core/ops/padding.h), or derived from TF's 'same'/'valid' rules by the PaddingMode
// overloads. x, weight and bias share one floating dtype (f32 or f64) and one device. Gradients
// flow to every input that requires them; the backward rules are not themselves differentiable.
#pragma once

#include <cstdint>

#include "core/ops/padding.h"
#include "core/tensor.h"

namespace deepobs::ops {

// y[n,o,p,q] = b[o] + Σ_{c,i,j} w[o,c,i,j] · x[n, c, p·stride_h − top + i, q·stride_w − left + j],
// with zeros outside the image (cross-correlation, as in TF).
//   x [N, C_in, H, W], weight [C_out, C_in, kh, kw], bias [C_out] or an undefined tensor.
//   Returns [N, C_out, H_out, W_out], H_out = floor((H + top + bottom − kh) / stride_h) + 1
//   (likewise W_out). Throws deepobs::Error, naming the op and the shapes, on a rank, dtype,
//   device, channel or bias mismatch, a stride < 1, a negative padding or a window larger than the
//   padded input.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h, int stride_w,
              const Padding2d& padding);
// The same with TF's padding rule for `mode` (kSame: H_out = ceil(H / stride_h)).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h, int stride_w,
              PaddingMode mode);

// TF's conv2d_transpose: the adjoint of conv2d. With conv = the conv2d of weight, stride and
// padding that maps [N, C_out, out_h, out_w] to [N, C_in, H, W], the result is
// conv's input gradient for output gradient x, plus b[o] on channel o:
//   <conv2d(u, weight, {}, s, padding), x> = <u, conv_transpose2d(x, weight, {}, s, padding, ..)>.
//   x [N, C_in, H, W], weight [C_in, C_out, kh, kw] (the forward conv's filter layout), bias
//   [C_out] or undefined. Returns [N, C_out, out_h, out_w]. The output size is explicit because
//   several sizes map to the same H under stride > 1; it must satisfy
//   floor((out_h + top + bottom − kh) / stride_h) + 1 == H (likewise W), else deepobs::Error.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h,
                        int stride_w, const Padding2d& padding, std::int64_t out_h,
                        std::int64_t out_w);
// The same with TF's sizes for `mode` (core/ops/padding.h transposed_extent): kSame gives
// out = H · stride with the 'same' padding of the forward conv; kValid gives
// out = H · stride + max(kh − stride, 0) without padding.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h,
                        int stride_w, PaddingMode mode);

}  // namespace deepobs::ops
