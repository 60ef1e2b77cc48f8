#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/pool_element.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// One thread per output element (grid-stride, int64 indices); the per-element work is
// kernels/cuda/pool_element.h.
__global__ void max_forward_kernel(PoolGeometry g, const float* __restrict__ x,
                                   float* __restrict__ y, std::int32_t* __restrict__ argmax,
                                   std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ow = idx % g.out_w;
    const std::int64_t oh = (idx / g.out_w) % g.out_h;
    const std::int64_t pl = idx / (g.out_w * g.out_h);
    pool_element::max_output(g, x + pl * g.in_h * g.in_w, oh, ow, y + idx, argmax + idx);
  }
}

__global__ void avg_forward_kernel(PoolGeometry g, const float* __restrict__ x,
                                   float* __restrict__ y, std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ow = idx % g.out_w;
    const std::int64_t oh = (idx / g.out_w) % g.out_h;
    const std::int64_t pl = idx / (g.out_w * g.out_h);
    y[idx] = pool_element::avg_output(g, x + pl * g.in_h * g.in_w, oh, ow);
  }
}

// One thread per input pixel: a gather, so every dx element is written once, without atomics.
__global__ void max_backward_kernel(PoolGeometry g, const float* __restrict__ dy,
                                    const std::int32_t* __restrict__ argmax, float* __restrict__ dx,
                                    std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t iw = idx % g.in_w;
    const std::int64_t ih = (idx / g.in_w) % g.in_h;
    const std::int64_t pl = idx / (g.in_w * g.in_h);
    const std::int64_t out_base = pl * g.out_h * g.out_w;
    dx[idx] = pool_element::max_input_grad(g, dy + out_base, argmax + out_base, ih, iw);
  }
}

__global__ void avg_backward_kernel(PoolGeometry g, const float* __restrict__ dy,
                                    float* __restrict__ dx, std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t iw = idx % g.in_w;
    const std::int64_t ih = (idx / g.in_w) % g.in_h;
    const std::int64_t pl = idx / (g.in_w * g.in_h);
    dx[idx] = pool_element::avg_input_grad(g, dy + pl * g.out_h * g.out_w, ih, iw);
  }
}

}  // namespace

void max_pool2d_forward(KernelContext& ctx, const PoolGeometry& g, const float* x, float* y,
                        std::int32_t* argmax) {
  const std::int64_t total = g.planes * g.out_h * g.out_w;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  max_forward_kernel<<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(g, x, y, argmax,
                                                                               total);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void max_pool2d_backward(KernelContext& ctx, const PoolGeometry& g, const float* dy,
                         const std::int32_t* argmax, float* dx) {
  const std::int64_t total = g.planes * g.in_h * g.in_w;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  max_backward_kernel<<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(g, dy, argmax, dx,
                                                                                total);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void avg_pool2d_forward(KernelContext& ctx, const PoolGeometry& g, const float* x, float* y) {
  const std::int64_t total = g.planes * g.out_h * g.out_w;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  avg_forward_kernel<<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(g, x, y, total);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void avg_pool2d_backward(KernelContext& ctx, const PoolGeometry& g, const float* dy, float* dx) {
  const std::int64_t total = g.planes * g.in_h * g.in_w;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  avg_backward_kernel<<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(g, dy, dx, total);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
