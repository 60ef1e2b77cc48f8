// Mini-batches gathered from a data set held in memory on the data's own device: the rows of one
// batch (by an index list or in stored order), u8 images converted to f32 on the way. On a CUDA
// device this is one kernel over the GPU-resident data set, so building a batch copies nothing
// between host and device. Not recorded by autograd (data has no gradient).
//
// Capture-ready: where a batch starts is read from `first`, a counter in device memory that the
// data set advances with advance_ (a device kernel on a GPU), so a recorded CUDA graph replays the
// next batch rather than the recorded one.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace deepobs::ops {

// examples: [N, ...] u8 or f32 on any device. order: undefined (stored order: rows first …
// first+count−1) or an i64 [M] permutation on the same device (rows order[first …
// first+count−1]; its entries must lie in [0, N), which a permutation of the examples does).
// first: an i64 one-element tensor on that device. Returns a new f32 [count, ...] tensor on the
// examples' device; u8 values are divided by `u8_divisor` with IEEE f32 division, so CPU and
// CUDA batches are bit-identical. Throws deepobs::Error for another dtype, an order of the wrong
// dtype/device, a non-positive divisor, or (where `first` can be read without waiting for a
// device: on the CPU) a range outside [0, N) (stored order) or [0, M) (with an order).
Tensor gather_examples(const Tensor& examples, const Tensor& order, const Tensor& first,
                       std::int64_t count, float u8_divisor);

// labels: i64 [N] on any device; order, first and range as above. Returns i64 [count] there.
Tensor gather_labels(const Tensor& labels, const Tensor& order, const Tensor& first,
                     std::int64_t count);

// counter += delta for an i64 one-element tensor, on its device (a one-thread kernel on a GPU,
// so a captured step advances its own counters).
void advance_(const Tensor& counter, std::int64_t delta);

}  // namespace deepobs::ops
