// Mini-batches gathered from a data set held in memory on the data's own device: the rows of one
// batch (by an index list or in stored order), u8 images converted to f32 on the way. On a CUDA
// device this is one kernel over the GPU-resident data set, so building a batch copies nothing
// between host and device. Not recorded by autograd (data has no gradient).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace deepobs::ops {

// examples: [N, ...] u8 or f32 on any device. order: undefined (stored order: rows
// first … first+count−1) or an i64 [M] permutation on the same device (rows order[first …
// first+count−1]; its entries must lie in [0, N), which a permutation of the examples does).
// Returns a new f32 [count, ...] tensor on the examples' device; u8 values are divided by
// `u8_divisor` with IEEE f32 division, so CPU and CUDA batches are bit-identical. Throws
// deepobs::Error for another dtype, an order of the wrong dtype/device, or a range outside
// [0, N) (stored order) or [0, M) (with an order), or a non-positive divisor.
Tensor gather_examples(const Tensor& examples, const Tensor& order, std::int64_t first,
                       std::int64_t count, float u8_divisor);

// labels: i64 [N] on any device; order and range as above. Returns i64 [count] on that device.
Tensor gather_labels(const Tensor& labels, const Tensor& order, std::int64_t first,
                     std::int64_t count);

}  // namespace deepobs::ops
