// Shape manipulation recorded by autograd: reshape, flatten, concat.
//
// These ops accept tensors of any dtype (labels can be reshaped and concatenated too); only
// floating tensors can carry gradients.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace deepobs::ops {

// x with a new shape of the same element count, as a view sharing x's storage (no copy: tensors
// are contiguous row-major, so the elements keep their order). At most one extent may be −1; it
// is inferred from the others. Throws deepobs::Error naming both shapes when the counts differ,
// for a second −1, for another negative extent, and when −1 cannot be inferred (the other extents
// multiply to 0). Gradient: the incoming gradient viewed back as x's shape.
Tensor reshape(const Tensor& x, const Shape& shape);

// [N, d1, d2, …] → [N, d1·d2·…]: keeps dimension 0 (the batch) and merges the rest, in row-major
// order, so NCHW becomes [N, C·H·W] with the channel slowest. A 1-D [N] becomes [N, 1]. Throws for
// a scalar (no batch dimension). A view, like reshape.
Tensor flatten(const Tensor& x);

// The tensors joined along `axis` (negative counts from the back): every tensor has the same rank
// (≥ 1), dtype and device, and the same extents outside `axis`; the result's extent along `axis`
// is the sum of theirs, in list order. Inception joins its branches along the channels, axis 1 of
// NCHW. Always a new tensor (also for a single input). Throws deepobs::Error for an empty list and
// names the op, the axis and both shapes when extents disagree. Gradient: the incoming gradient
// split back into the inputs' slices.
Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis);

}  // namespace deepobs::ops
