// Matrix products.
#pragma once

#include "core/tensor.h"

namespace deepobs::ops {

// op(a) · op(b) for 2-D tensors: op(a) is m×k (a is m×k, or k×m with trans_a), op(b) is k×n;
// the result is m×n. Both operands share dtype (f32/f64) and device.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

// Fully connected layer y = x·W + b: x [N, in], W [in, out] (TF's kernel layout), b [out] or an
// undefined tensor for no bias. Returns [N, out].
Tensor dense(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace deepobs::ops
