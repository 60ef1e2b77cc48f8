// Activation functions. Input f32 or f64 of any shape (other dtypes throw deepobs::Error naming the
// op); the result is a new tensor of the same shape; each op records its backward rule when the
// input requires gradients. A NaN input gives a NaN output (none of them clamps it away).
#pragma once

#include "core/tensor.h"

namespace deepobs::ops {

// max(x, 0). Gradient 1 where x > 0 and 0 elsewhere, including at x = 0 (as TF's ReluGrad); the
// rule reads the saved output, since y > 0 exactly where x > 0.
Tensor relu(const Tensor& x);

// max(x, slope·x) = (x < 0 ? slope·x : x), TF 1.x's leaky ReLU written as tf.maximum(x, slope·x)
// (SPEC §3.5 uses slope 0.3). Only 0 ≤ slope < 1 is accepted: for slope > 1 the maximum picks
// slope·x on the positive side and x on the negative one, and for slope < 0 it is an absolute-value
// shape — neither is a leaky ReLU, so both throw deepobs::Error rather than compute something else;
// slope = 1, the identity, is rejected as well. Gradient 1 for x ≥ 0 and slope for x < 0: at
// exactly 0 it is 1, as tf.maximum sends the whole gradient of a tie to its first argument. The
// rule reads the saved input (with slope 0 the output cannot tell x = 0 from x < 0).
Tensor leaky_relu(const Tensor& x, double slope);

// 1 / (1 + e^−x), exactly 0 or 1 far out on the tails (no overflow). Gradient y(1 − y) from the
// saved output.
Tensor sigmoid(const Tensor& x);

// tanh x. Gradient 1 − y² from the saved output.
Tensor tanh(const Tensor& x);

}  // namespace deepobs::ops
