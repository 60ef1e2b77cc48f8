// NumPy-style broadcasting on a CUDA device: the twins of kernels/cpu/broadcast.h, f32 only.
// CUDA-free header; defined in broadcast.cu.
//
// Shapes have equal rank (the caller pads with leading 1s) of at most kMaxBroadcastRank after
// dimensions of output extent 1 are dropped and neighbouring dimensions that every operand treats
// alike are merged (so [N,C,H,W] ∘ [1,C,1,1] has rank 3); an input extent equals the output extent
// or is 1. Indices are 64-bit. Pointers are device memory of ctx's device, owned by the caller;
// outputs are overwritten and must not overlap the inputs. A one-element operand in device memory
// is handled here too (stride 0), so callers need not read it back to the host. Work is queued on
// ctx's stream.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/cpu/elementwise.h"

namespace deepobs::kernels::cuda {

class KernelContext;

inline constexpr int kMaxBroadcastRank = 8;

// out = a ∘ b with a (a_shape) and b (b_shape) broadcast to out_shape. Throws CudaError when the
// merged rank exceeds kMaxBroadcastRank.
void binary_broadcast(KernelContext& ctx, cpu::BinaryOp op, std::span<const std::int64_t> out_shape,
                      std::span<const std::int64_t> a_shape, const float* a,
                      std::span<const std::int64_t> b_shape, const float* b, float* out);

// out (out_shape) = x (x_shape) repeated along the dimensions where x has extent 1.
void broadcast_copy(KernelContext& ctx, std::span<const std::int64_t> x_shape, const float* x,
                    std::span<const std::int64_t> out_shape, float* out);

}  // namespace deepobs::kernels::cuda
