// Bilinear resize on a CUDA device (f32) with TF 1.x's legacy coordinate mapping, exactly as
// kernels/cpu/resize.h: the ratio in / out and the source coordinate d · ratio are computed in
// single precision, and the interpolation follows the CPU's order of evaluation with explicitly
// rounded operations (__fmul_rn/__fadd_rn: no FMA contraction), so the forward gives the CPU's
// bits. The backward is a gather: one thread per input pixel adds, in the CPU's order (outputs in
// row-major order, then the four taps top-left, top-right, bottom-left, bottom-right), every
// weighted dy that reaches it — deterministic, no atomics, and bit-identical to the CPU's scatter.
// CUDA-free header: device pointers; runs on the context's stream without waiting.
#pragma once

#include "kernels/cpu/resize.h"

namespace deepobs::kernels::cuda {

class KernelContext;
using ResizeGeometry = kernels::cpu::ResizeGeometry;

// y [planes, out_h, out_w] from x [planes, in_h, in_w].
void resize_bilinear_forward(KernelContext& ctx, const ResizeGeometry& g, const float* x, float* y);
// dx [planes, in_h, in_w] = the adjoint applied to dy [planes, out_h, out_w] (overwritten).
void resize_bilinear_backward(KernelContext& ctx, const ResizeGeometry& g, const float* dy,
                              float* dx);

}  // namespace deepobs::kernels::cuda
