// Element-wise helpers around the cuDNN convolutions (kernels/cuda/cudnn_conv.h): the channel bias,
// its gradient, and the explicit zero padding used when TF's asymmetric 'same' padding cannot be
// expressed by cuDNN's symmetric one. CUDA-free header; pointers are device pointers and every
// function runs on the context's stream without waiting for it.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

class KernelContext;

// y[n, c, s] += bias[c] for y [batch, channels, spatial].
void add_channel_bias(KernelContext& ctx, float* y, const float* bias, std::int64_t batch,
                      std::int64_t channels, std::int64_t spatial);

// bias_grad[c] = Σ_{n, s} dy[n, c, s] (overwrites bias_grad). Deterministic: one block per
// channel, each thread summing a fixed strided subset in double, then a fixed shared-memory tree.
void channel_sums(KernelContext& ctx, const float* dy, std::int64_t batch, std::int64_t channels,
                  std::int64_t spatial, float* bias_grad);

// dst [planes, dst_h, dst_w] = src [planes, src_h, src_w] placed at offset (top, left), zeros
// elsewhere: dst[p, r, q] = src[p, r − top, q − left] when that lies inside src, else 0. Every
// element of dst is written. (Cropping is the same call with negative offsets.)
void place_planes(KernelContext& ctx, const float* src, std::int64_t planes, std::int64_t src_h,
                  std::int64_t src_w, float* dst, std::int64_t dst_h, std::int64_t dst_w,
                  std::int64_t top, std::int64_t left);

}  // namespace deepobs::kernels::cuda
