#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/gather_index.h"
#include "kernels/cuda/resize.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

using gather::first_reaching;
using gather::Tap;
using gather::tap;

// a + (b − a)·f with the CPU's rounding steps.
__device__ float lerp(float a, float b, float f) {
  return __fadd_rn(a, __fmul_rn(__fsub_rn(b, a), f));
}

__global__ void forward_kernel(ResizeGeometry g, float scale_h, float scale_w,
                               const float* __restrict__ x, float* __restrict__ y,
                               std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ow = idx % g.out_w;
    const std::int64_t oh = (idx / g.out_w) % g.out_h;
    const std::int64_t pl = idx / (g.out_w * g.out_h);
    const Tap r = tap(oh, scale_h, g.in_h);
    const Tap c = tap(ow, scale_w, g.in_w);
    const float* top_row = x + (pl * g.in_h + r.lo) * g.in_w;
    const float* bottom_row = x + (pl * g.in_h + r.hi) * g.in_w;
    const float top = lerp(top_row[c.lo], top_row[c.hi], c.frac);
    const float bottom = lerp(bottom_row[c.lo], bottom_row[c.hi], c.frac);
    y[idx] = lerp(top, bottom, r.frac);
  }
}

__global__ void backward_kernel(ResizeGeometry g, float scale_h, float scale_w,
                                const float* __restrict__ dy, float* __restrict__ dx,
                                std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t iw = idx % g.in_w;
    const std::int64_t ih = (idx / g.in_w) % g.in_h;
    const std::int64_t pl = idx / (g.in_w * g.in_h);
    const float* src = dy + pl * g.out_h * g.out_w;
    const std::int64_t ow_start = first_reaching(iw, scale_w, g.in_w, g.out_w);
    float acc = 0.0f;
    // Outputs whose taps reach row ih have lo ∈ {ih − 1, ih}; taps grow with the output index, so
    // the scan stops at the first lo > ih.
    for (std::int64_t oh = first_reaching(ih, scale_h, g.in_h, g.out_h); oh < g.out_h; ++oh) {
      const Tap r = tap(oh, scale_h, g.in_h);
      if (r.lo > ih) break;
      const bool top_hit = r.lo == ih, bottom_hit = r.hi == ih;
      if (!top_hit && !bottom_hit) continue;
      for (std::int64_t ow = ow_start; ow < g.out_w; ++ow) {
        const Tap c = tap(ow, scale_w, g.in_w);
        if (c.lo > iw) break;
        const bool left_hit = c.lo == iw, right_hit = c.hi == iw;
        if (!left_hit && !right_hit) continue;
        const float v = src[oh * g.out_w + ow];
        const float top = __fmul_rn(v, __fsub_rn(1.0f, r.frac));
        const float bottom = __fmul_rn(v, r.frac);
        const float c_lo = __fsub_rn(1.0f, c.frac);
        if (top_hit && left_hit) acc = __fadd_rn(acc, __fmul_rn(top, c_lo));
        if (top_hit && right_hit) acc = __fadd_rn(acc, __fmul_rn(top, c.frac));
        if (bottom_hit && left_hit) acc = __fadd_rn(acc, __fmul_rn(bottom, c_lo));
        if (bottom_hit && right_hit) acc = __fadd_rn(acc, __fmul_rn(bottom, c.frac));
      }
    }
    dx[idx] = acc;
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
