// Sum reductions on the CPU: the adjoint of kernels/cpu/broadcast.h's broadcast_copy.
//
// The order of the additions is fixed by the shapes alone — the input is walked once in row-major
// order on one thread — so results are bitwise reproducible and independent of the thread count.
// The running sums are kept in double for both float and double data: a float accumulator over
// the ~10^5-10^6 terms of a spatial or batch reduction loses several digits, which matters for
// loss curves and gradient checks, and the double accumulator costs nothing measurable next to the
// memory traffic. Contiguous runs are summed in four interleaved partial sums (combined as
// (s0+s1)+(s2+s3)), a fixed pattern that keeps the adder pipeline busy.
#pragma once

#include <cstdint>
#include <span>

namespace deepobs::kernels::cpu {

// out = scale · (x summed over the dimensions where out_shape has extent 1 and in_shape does not).
// in_shape and out_shape have equal rank; every out extent equals the in extent or is 1. `out`
// (numel(out_shape) elements, row-major, caller-owned, not overlapping x) is overwritten; an empty
// reduction yields 0. The scale is applied once to the double sum, before rounding to T, so a mean
// (scale = 1/count) rounds only once. T is float or double.
template <class T>
void sum_to_shape(std::span<const std::int64_t> in_shape, const T* x,
                  std::span<const std::int64_t> out_shape, T* out, double scale = 1.0);

}  // namespace deepobs::kernels::cpu
