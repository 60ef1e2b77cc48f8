// Elementwise math on a CUDA device: the twins of kernels/cpu/elementwise.h (same UnaryOp and
// BinaryOp enums, same formulas, same NaN semantics and backward rules; see that header), f32
// only. CUDA-free header; defined in elementwise.cu.
//
// All pointers are device memory of ctx's device holding n contiguous floats, owned by the caller;
// outputs are overwritten and may alias an input of the same length. Work is queued on ctx's
// stream and the functions return at once (CudaError on a launch failure). The files are compiled
// with -fmad=false, so +, −, ×, ÷ and sqrt give exactly the CPU's bits; exp, log, tanh, sin, cos
// and pow come from CUDA's math library and differ from the CPU's (Eigen/glibc) by a few ulp.
#pragma once

#include <cstdint>

#include "kernels/cpu/elementwise.h"

namespace deepobs::kernels::cuda {

class KernelContext;

// y[i] = f(x[i]; p) for i < n.
void unary_forward(KernelContext& ctx, cpu::UnaryOp op, const float* x, float* y, std::int64_t n,
                   float p);
// dx[i] = dy[i]·f'(x[i]; p), reading x or y as kernels/cpu/elementwise.h says for `op` (the other
// may be null).
void unary_backward(KernelContext& ctx, cpu::UnaryOp op, const float* x, const float* y,
                    const float* dy, float* dx, std::int64_t n, float p);

// out[i] = a[i] ∘ b[i].
void binary_same(KernelContext& ctx, cpu::BinaryOp op, const float* a, const float* b, float* out,
                 std::int64_t n);
// out[i] = a[i] ∘ b, with b a host value.
void binary_scalar_right(KernelContext& ctx, cpu::BinaryOp op, const float* a, float b, float* out,
                         std::int64_t n);
// out[i] = a ∘ b[i], with a a host value.
void binary_scalar_left(KernelContext& ctx, cpu::BinaryOp op, float a, const float* b, float* out,
                        std::int64_t n);

}  // namespace deepobs::kernels::cuda
