// 2-D convolution on a CUDA device through cuDNN (f32, NCHW), with the geometry and the contracts
// of kernels/cpu/conv.h (ConvGeometry: explicit pad_top/pad_left; out_h/out_w imply the
// bottom/right padding). CUDA-free header: pointers are device pointers. Bias is not fused: use
// kernels/cuda/conv_layout.h. A transposed convolution is built from these three exactly as on
// the CPU (its forward is conv2d_backward_data).
//
// Padding. cuDNN pads symmetrically. When the symmetric padding (pad_top, pad_left) yields exactly
// out_h × out_w — every symmetric or 'valid' case, and TF 'same' cases whose extra bottom/right
// pixel is never read — cuDNN is called directly (outputs depend only on the leading padding).
// Otherwise (TF's asymmetric 'same', e.g. stride 1 with an even kernel or most stride-2 cases) the
// input is placed into a zero-padded buffer of exactly (out_h − 1)·stride + kernel rows/columns
// in the context workspace and cuDNN runs without padding; backward-data computes the padded
// gradient there and crops it (rows/columns never read get 0).
//
// Plans. The first call for a (device, operation, geometry, policies) builds the descriptors,
// asks cuDNN's heuristics (cudnnGet*Algorithm_v7) for the ranked algorithms and keeps the first one
// that succeeds and fits the policies; the plan (descriptors, algorithm, workspace size) is cached
// and recorded (conv_plan_records). With policies().deterministic only algorithms cuDNN reports as
// deterministic are taken (and never BWD_DATA_ALGO_0 / BWD_FILTER_ALGO_0 / _3); with tf32 off the
// convolution math type is CUDNN_FMA_MATH, which forbids TF32 tensor-core kernels.
//
// All functions run on the context's stream, overwrite their output (beta = 0) and return without
// waiting. They throw CudaError on a cuDNN/CUDA failure and std::invalid_argument when a size
// exceeds cuDNN's int range or no algorithm fits the policies.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kernels/cpu/conv.h"

namespace deepobs::kernels::cuda {

class KernelContext;
using ConvGeometry = kernels::cpu::ConvGeometry;

// y [batch, out_channels, out_h, out_w] = conv(x, w).
void conv2d_forward(KernelContext& ctx, const ConvGeometry& g, const float* x, const float* w,
                    float* y);
// dx [batch, in_channels, in_h, in_w] = the transposed conv of dy with w.
void conv2d_backward_data(KernelContext& ctx, const ConvGeometry& g, const float* dy,
                          const float* w, float* dx);
// dw [out_channels, in_channels, kernel_h, kernel_w] = Σ_n dy_n ⋆ x_n.
void conv2d_backward_filter(KernelContext& ctx, const ConvGeometry& g, const float* x,
                            const float* dy, float* dw);

// One cached plan, as recorded for the result files.
struct ConvPlanInfo {
  std::string operation;  // "conv2d_forward", "conv2d_backward_data", "conv2d_backward_filter"
  std::string shape;      // "x[128,1,28,28] w[32,1,5,5] stride 1x1 pad 2,2,2,2 …"
  std::string algorithm;  // cuDNN's enum name
  std::size_t workspace_bytes = 0;  // cuDNN's workspace plus any explicit padding buffer
};
// Every plan built on `device` so far, in the order they were first needed.
std::vector<ConvPlanInfo> conv_plan_records(int device);
// Drops the cached plans (and records) of `device`; the next calls choose algorithms anew. Plans
// are keyed by the policies too, so calling this after set_policies is optional.
void clear_conv_plans(int device);

}  // namespace deepobs::kernels::cuda
