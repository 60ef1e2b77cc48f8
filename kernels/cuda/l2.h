// The CUDA twin of kernels/cpu/l2.h for f32: the L2 regulariser over segments of the flat
// parameter buffer, one kernel forward and one backward. CUDA-free header; pointers are device
// memory of ctx's device, `segments` holds `count` (offset, length) pairs (i64); work is queued on
// ctx's stream. Capture-ready: the incoming gradient is read from device memory.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

class KernelContext;

// *out = scale · Σ_k round_f32(Σ_{i in segment k} x_i²), each segment summed in double by one
// block in a fixed order (deterministic; another order than the CPU's, so the two agree to about
// one f32 rounding per segment), the segment sums added in segment order.
void l2_penalty(KernelContext& ctx, const float* x, const std::int64_t* segments,
                std::int64_t count, float scale, float* out);

// grad_i += (2·x_i)·(*g·scale) for every i in a segment, with the CPU's rounding (no FMA).
void l2_penalty_backward(KernelContext& ctx, const float* x, const std::int64_t* segments,
                         std::int64_t count, const float* g, float scale, float* grad);

}  // namespace deepobs::kernels::cuda
