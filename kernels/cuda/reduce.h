// Sum reductions on a CUDA device: the twin of kernels/cpu/reduce.h's sum_to_shape, f32 only.
// CUDA-free header; defined in reduce.cu.
//
// Sums are accumulated in double, like the CPU's, and in an order fixed by the shapes alone (each
// output element is summed by one thread, or by one block with a fixed per-thread split and a
// fixed tree; no atomics), so reruns give bit-identical results. The order differs from the CPU's,
// so the two agree to about one rounding of the final float (both sums are exact to ~1e-16 before
// that rounding). At most kMaxReduceRank dimensions after merging (as in broadcast.h).
#pragma once

#include <cstdint>
#include <span>

namespace deepobs::kernels::cuda {

class KernelContext;

inline constexpr int kMaxReduceRank = 8;

// out = scale · (x summed over the dimensions where out_shape has extent 1 and in_shape does not),
// with the shapes of kernels/cpu/reduce.h (equal rank; every out extent equals the in extent or is
// 1). x and out are device memory of ctx's device (out: numel(out_shape) floats, overwritten, not
// overlapping x). An empty reduction yields 0.
void sum_to_shape(KernelContext& ctx, std::span<const std::int64_t> in_shape, const float* x,
                  std::span<const std::int64_t> out_shape, float* out, double scale = 1.0);

}  // namespace deepobs::kernels::cuda
