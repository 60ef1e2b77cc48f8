// Building blocks shared by the elementwise, activation and reduction op families. Internal to
// core/ops: none of these record anything on the autograd tape unless stated.
#pragma once

#include "core/tensor.h"
#include "kernels/cpu/elementwise.h"

namespace deepobs::ops::detail {

// Which saved tensors a unary map's backward rule reads (see kernels/cpu/elementwise.h).
enum class Saves { kNothing, kInput, kOutput };

// y = f(x; param) for the unary map `k`, recorded on the tape as `op` with the backward rule of
// kernels::cpu::unary_backward. `saves` must name what that rule reads for `k`. x must be f32/f64.
Tensor unary_op(const char* op, kernels::cpu::UnaryOp k, const Tensor& x, double param,
                Saves saves);

// g summed down to `shape` (which must broadcast to g's shape); returns g itself when the shapes
// are equal. Not recorded.
Tensor sum_to_raw(const Tensor& g, const Shape& shape);

// x broadcast to `shape` (which x must broadcast to); returns x itself when the shapes are equal.
// Not recorded.
Tensor broadcast_to_raw(const Tensor& x, const Shape& shape);

// x · c as a new tensor. Not recorded.
Tensor scale_raw(const Tensor& x, double c);

}  // namespace deepobs::ops::detail
