#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/conv_layout.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void add_channel_bias_kernel(float* __restrict__ y, const float* __restrict__ bias,
                                        std::int64_t total, std::int64_t channels,
                                        std::int64_t spatial) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    y[i] = __fadd_rn(y[i], bias[(i / spatial) % channels]);
}

__global__ void channel_sums_kernel(const float* __restrict__ dy, std::int64_t batch,
                                    std::int64_t channels, std::int64_t spatial,
                                    float* __restrict__ sums) {
  __shared__ double partial[kThreads];
  const std::int64_t per_channel = batch * spatial;
  // The loop bound depends on blockIdx only, so every thread reaches the barriers.
  for (std::int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    double acc = 0.0;
    for (std::int64_t e = threadIdx.x; e < per_channel; e += kThreads) {
      const std::int64_t n = e / spatial, s = e - n * spatial;
      acc += static_cast<double>(dy[(n * channels + c) * spatial + s]);
    }
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) sums[c] = static_cast<float>(partial[0]);
    __syncthreads();
  }
}

__global__ void place_planes_kernel(const float* __restrict__ src, std::int64_t src_h,
                                    std::int64_t src_w, float* __restrict__ dst, std::int64_t dst_h,
                                    std::int64_t dst_w, std::int64_t total, std::int64_t top,
                                    std::int64_t left) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t q = i % dst_w;
    const std::int64_t r = (i / dst_w) % dst_h;
    const std::int64_t p = i / (dst_w * dst_h);
    const std::int64_t sr = r - top, sq = q - left;
    dst[i] = (sr >= 0 && sr < src_h && sq >= 0 && sq < src_w) ? src[(p * src_h + sr) * src_w + sq]
                                                              : 0.0f;
  }
}

}  // namespace

void add_channel_bias(KernelContext& ctx, float* y, const float* bias, std::int64_t batch,
                      std::int64_t channels, std::int64_t spatial) {
  const std::int64_t total = batch * channels * spatial;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  add_channel_bias_kernel<<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(
      y, bias, total, channels, spatial);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void channel_sums(KernelContext& ctx, const float* dy, std::int64_t batch, std::int64_t channels,
                  std::int64_t spatial, float* bias_grad) {
  if (channels == 0) return;
  DeviceGuard guard(ctx.device());
  // One block per channel (grid_for with 1 thread per "element" = channel, capped).
  channel_sums_kernel<<<grid_for(channels, 1), kThreads, 0, ctx.stream()>>>(dy, batch, channels,
                                                                            spatial, bias_grad);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void place_planes(KernelContext& ctx, const float* src, std::int64_t planes, std::int64_t src_h,
                  std::int64_t src_w, float* dst, std::int64_t dst_h, std::int64_t dst_w,
                  std::int64_t top, std::int64_t left) {
  const std::int64_t total = planes * dst_h * dst_w;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  place_planes_kernel<<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(
      src, src_h, src_w, dst, dst_h, dst_w, total, top, left);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
