// Sums and means over all elements or over chosen axes.
//
// Input f32 or f64 (other dtypes throw deepobs::Error naming the op). Sums are accumulated in
// double for both dtypes and rounded once at the end, in an order fixed by the shape alone, so a
// result is bitwise reproducible and independent of the thread count (kernels/cpu/reduce.h). Each
// op records its backward rule (the gradient is spread back over the reduced elements; for the
// means divided by their count) when the input requires gradients.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace deepobs::ops {

// Σ of all elements → shape {} (a scalar tensor). An empty input sums to 0.
Tensor sum(const Tensor& x);
// Mean of all elements → shape {}. Throws deepobs::Error for an input without elements (a mean of
// nothing is a caller's bug, e.g. an empty batch, not a number).
Tensor mean(const Tensor& x);

// Sum over `axes` (each in [−rank, rank); negative axes count from the back). With keepdim the
// reduced dimensions stay as extent 1 (the result then broadcasts against x); otherwise they are
// removed. An empty list, a repeated axis (also −1 next to rank−1) or an axis out of range throws
// deepobs::Error naming the op, the axis and the input's shape.
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim = false);
// Mean over `axes`: the sum divided by the number of reduced elements, with the same rules; throws
// if that number is 0.
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdim = false);

}  // namespace deepobs::ops
