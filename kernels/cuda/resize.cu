#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/resize.h"
#include "kernels/cuda/resize_element.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// One thread per output element (grid-stride, int64 indices); the per-element work is
// kernels/cuda/resize_element.h.
__global__ void forward_kernel(ResizeGeometry g, float scale_h, float scale_w,
                               const float* __restrict__ x, float* __restrict__ y,
                               std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ow = idx % g.out_w;
    const std::int64_t oh = (idx / g.out_w) % g.out_h;
    const std::int64_t pl = idx / (g.out_w * g.out_h);
    y[idx] = resize_element::output(g, scale_h, scale_w, x + pl * g.in_h * g.in_w, oh, ow);
  }
}

// One thread per input pixel: a gather, so every dx element is written once, without atomics.
__global__ void backward_kernel(ResizeGeometry g, float scale_h, float scale_w,
                                const float* __restrict__ dy, float* __restrict__ dx,
                                std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t iw = idx % g.in_w;
    const std::int64_t ih = (idx / g.in_w) % g.in_h;
    const std::int64_t pl = idx / (g.in_w * g.in_h);
    dx[idx] = resize_element::input_grad(g, scale_h, scale_w, dy + pl * g.out_h * g.out_w, ih, iw);
  }
}

// TF's ratio in / out, in single precision (correctly rounded, as the CPU's division).
float ratio(std::int64_t in, std::int64_t out) {
  return static_cast<float>(in) / static_cast<float>(out);
}

}  // namespace

void resize_bilinear_forward(KernelContext& ctx, const ResizeGeometry& g, const float* x,
                             float* y) {
  const std::int64_t total = g.planes * g.out_h * g.out_w;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  forward_kernel<<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(
      g, ratio(g.in_h, g.out_h), ratio(g.in_w, g.out_w), x, y, total);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void resize_bilinear_backward(KernelContext& ctx, const ResizeGeometry& g, const float* dy,
                              float* dx) {
  const std::int64_t total = g.planes * g.in_h * g.in_w;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  backward_kernel<<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(
      g, ratio(g.in_h, g.out_h), ratio(g.in_w, g.out_w), dy, dx, total);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
