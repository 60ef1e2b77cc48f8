// The moving-average update of kernels/cuda/batch_norm.h (the cuDNN calls are in batch_norm.cpp).
#include "kernels/cuda/batch_norm.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void update_moving_kernel(float* __restrict__ mean, float* __restrict__ variance,
                                     const float* __restrict__ batch_mean,
                                     const float* __restrict__ batch_variance,
                                     std::int64_t channels, float decay) {
  for (std::int64_t c = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       c < channels; c += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    mean[c] = __fsub_rn(mean[c], __fmul_rn(__fsub_rn(mean[c], batch_mean[c]), decay));
    variance[c] =
        __fsub_rn(variance[c], __fmul_rn(__fsub_rn(variance[c], batch_variance[c]), decay));
  }
}

}  // namespace

void batch_norm_update_moving(KernelContext& ctx, float* moving_mean, float* moving_variance,
                              const float* batch_mean, const float* batch_variance,
                              std::int64_t channels, float decay) {
  if (channels == 0) return;
  DeviceGuard guard(ctx.device());
  update_moving_kernel<<<grid_for(channels, kThreads), kThreads, 0, ctx.stream()>>>(
      moving_mean, moving_variance, batch_mean, batch_variance, channels, decay);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
