// 2-D max and average pooling on a CUDA device (f32), with the exact semantics of
// kernels/cpu/pool.h (same PoolGeometry, same window rules: ties go to the first pixel in
// row-major window order, a NaN wins, padding is left out of the average's divisor). The forward
// kernels run one thread per output and evaluate each window in the CPU's order, so they give the
// CPU's bits. The backward kernels are gathers — one thread per input pixel adds the contributions
// of the outputs whose window covers it, in increasing output order — so they need no atomics,
// are deterministic, and also reproduce the CPU's sums bit for bit. CUDA-free header: device
// pointers; everything runs on the context's stream without waiting.
#pragma once

#include <cstdint>

#include "kernels/cpu/pool.h"

namespace deepobs::kernels::cuda {

class KernelContext;
using PoolGeometry = kernels::cpu::PoolGeometry;

// y [planes, out_h, out_w] = window maximum; argmax receives the chosen pixel's ih·in_w + iw.
void max_pool2d_forward(KernelContext& ctx, const PoolGeometry& g, const float* x, float* y,
                        std::int32_t* argmax);
// dx [planes, in_h, in_w] = Σ of dy over the outputs whose argmax is that pixel (overwritten).
void max_pool2d_backward(KernelContext& ctx, const PoolGeometry& g, const float* dy,
                         const std::int32_t* argmax, float* dx);
// y = mean over the image pixels of each window.
void avg_pool2d_forward(KernelContext& ctx, const PoolGeometry& g, const float* x, float* y);
// dx = Σ over the covering windows of dy / (that window's pixel count) (overwritten).
void avg_pool2d_backward(KernelContext& ctx, const PoolGeometry& g, const float* dy, float* dx);

}  // namespace deepobs::kernels::cuda
