#include <cuda_runtime.h>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/dropout.h"

namespace deepobs::kernels::cuda {
namespace {

__global__ void apply_mask_kernel(const float* x, const float* mask, float* y, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    y[i] = x[i] * mask[i];
}

}  // namespace

void apply_mask(KernelContext& ctx, const float* x, const float* mask, float* y, std::int64_t n) {
  if (n <= 0) return;
  constexpr int kThreads = 256;
  DeviceGuard guard(ctx.device());
  apply_mask_kernel<<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(x, mask, y, n);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
