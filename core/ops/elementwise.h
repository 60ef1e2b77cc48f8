// Elementwise arithmetic with NumPy broadcasting, and the elementwise math functions.
//
// Common contract of every op here:
// - Operands are f32 or f64 (anything else throws deepobs::Error naming the op and the tensor);
//   the two operands of a binary op share dtype and device (f32 with f64 is an error, not a
//   promotion: a silent promotion would hide a model that accidentally runs in double).
// - Results are new, contiguous tensors; inputs are never modified.
// - IEEE semantics, no checks on values: x/0 = ±inf, log of a negative number = NaN. A NaN in an
//   input propagates to the output (and to the loss), so divergence stays visible.
// - Each op records its backward rule when an input requires gradients (core/autograd.h).
//
// Broadcasting (add, sub, mul, div, pow): shapes are aligned at their trailing dimensions (the
// shorter one is padded with leading 1s); in each dimension the extents must be equal or one of
// them 1, and the result takes the larger. Otherwise deepobs::Error names the op and both shapes:
// "add: shapes [2,3] and [4] cannot be broadcast". The gradient that flows back to an operand is
// summed over the dimensions along which that operand was repeated, so it has the operand's shape.
#pragma once

#include "core/tensor.h"

namespace deepobs::ops {

// The broadcast shape of a and b, or deepobs::Error naming `op` and both shapes.
Shape broadcast_shape(const char* op, const Shape& a, const Shape& b);

// a + b, a − b, a · b, a / b with broadcasting.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

// x^y with broadcasting (std::pow per element). Gradients: ∂/∂x = y·x^(y−1), ∂/∂y = x^y·log x,
// evaluated literally, so they are meant for x > 0: where x < 0 the exponent's gradient is NaN,
// where x = 0 it is NaN or ±inf, and the base's gradient at x = 0, y = 0 is NaN (0·0^−1) rather
// than 0. (pow(x, double) below handles the constant exponent 0 exactly.)
Tensor pow(const Tensor& x, const Tensor& y);

// x + c and x · c for a constant c (converted to x's dtype). x − c and x / c are add_scalar(x, −c)
// and mul_scalar(x, 1/c).
Tensor add_scalar(const Tensor& x, double c);
Tensor mul_scalar(const Tensor& x, double c);

// Elementwise −x, e^x, log x, x², √x (gradients: −1, e^x, 1/x, 2x, 1/(2√x)).
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sqrt(const Tensor& x);
// Trigonometric functions in radians (the Branin function needs cos).
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
// x^p for a constant exponent p; gradient p·x^(p−1) (0 everywhere when p = 0).
Tensor pow(const Tensor& x, double p);

// x repeated to `shape`, which x must broadcast to (else deepobs::Error naming both shapes).
// Always a new tensor, also when the shapes are equal. Gradient: sum_to(g, x.shape()).
Tensor broadcast_to(const Tensor& x, const Shape& shape);
// x summed down to `shape`, the adjoint of broadcast_to: `shape` must broadcast to x.shape(), and
// x is summed over the dimensions that `shape` lacks or has as 1 (sums accumulate in double, see
// kernels/cpu/reduce.h). Always a new tensor. Gradient: broadcast_to(g, x.shape()).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace deepobs::ops
