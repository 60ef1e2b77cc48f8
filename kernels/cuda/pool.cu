#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/gather_index.h"
#include "kernels/cuda/pool.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

using gather::covering;
using gather::Span;
using gather::window_span;

__global__ void max_forward_kernel(PoolGeometry g, const float* __restrict__ x,
                                   float* __restrict__ y, std::int32_t* __restrict__ argmax,
                                   std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ow = idx % g.out_w;
    const std::int64_t oh = (idx / g.out_w) % g.out_h;
    const std::int64_t pl = idx / (g.out_w * g.out_h);
    const float* src = x + pl * g.in_h * g.in_w;
    const Span rows = window_span(oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
    const Span cols = window_span(ow, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
    std::int64_t best_at = rows.lo * g.in_w + cols.lo;
    float best = src[best_at];
    for (std::int64_t ih = rows.lo; ih < rows.hi; ++ih) {
      for (std::int64_t iw = cols.lo; iw < cols.hi; ++iw) {
        const float v = src[ih * g.in_w + iw];
        if (v > best || (isnan(v) && !isnan(best))) {
          best = v;
          best_at = ih * g.in_w + iw;
        }
      }
    }
    y[idx] = best;
    argmax[idx] = static_cast<std::int32_t>(best_at);
  }
}

__global__ void max_backward_kernel(PoolGeometry g, const float* __restrict__ dy,
                                    const std::int32_t* __restrict__ argmax, float* __restrict__ dx,
                                    std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t iw = idx % g.in_w;
    const std::int64_t ih = (idx / g.in_w) % g.in_h;
    const std::int64_t pl = idx / (g.in_w * g.in_h);
    const std::int32_t here = static_cast<std::int32_t>(ih * g.in_w + iw);
    const std::int64_t out_base = pl * g.out_h * g.out_w;
    const Span rows = covering(ih, g.stride_h, g.pad_top, g.kernel_h, g.out_h);
    const Span cols = covering(iw, g.stride_w, g.pad_left, g.kernel_w, g.out_w);
    float acc = 0.0f;
    for (std::int64_t oh = rows.lo; oh <= rows.hi; ++oh) {
      for (std::int64_t ow = cols.lo; ow <= cols.hi; ++ow) {
        const std::int64_t o = out_base + oh * g.out_w + ow;
        if (argmax[o] == here) acc = __fadd_rn(acc, dy[o]);
      }
    }
    dx[idx] = acc;
  }
}

__global__ void avg_forward_kernel(PoolGeometry g, const float* __restrict__ x,
                                   float* __restrict__ y, std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ow = idx % g.out_w;
    const std::int64_t oh = (idx / g.out_w) % g.out_h;
    const std::int64_t pl = idx / (g.out_w * g.out_h);
    const float* src = x + pl * g.in_h * g.in_w;
    const Span rows = window_span(oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
    const Span cols = window_span(ow, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
    float acc = 0.0f;
    for (std::int64_t ih = rows.lo; ih < rows.hi; ++ih) {
      for (std::int64_t iw = cols.lo; iw < cols.hi; ++iw)
        acc = __fadd_rn(acc, src[ih * g.in_w + iw]);
    }
    const auto count = (rows.hi - rows.lo) * (cols.hi - cols.lo);
    y[idx] = __fdiv_rn(acc, static_cast<float>(count));
  }
}

__global__ void avg_backward_kernel(PoolGeometry g, const float* __restrict__ dy,
                                    float* __restrict__ dx, std::int64_t total) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t iw = idx % g.in_w;
    const std::int64_t ih = (idx / g.in_w) % g.in_h;
    const std::int64_t pl = idx / (g.in_w * g.in_h);
    const float* src = dy + pl * g.out_h * g.out_w;
    const Span rows = covering(ih, g.stride_h, g.pad_top, g.kernel_h, g.out_h);
    const Span cols = covering(iw, g.stride_w, g.pad_left, g.kernel_w, g.out_w);
    float acc = 0.0f;
    for (std::int64_t oh = rows.lo; oh <= rows.hi; ++oh) {
      const Span r = window_span(oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
      for (std::int64_t ow = cols.lo; ow <= cols.hi; ++ow) {
        const Span c = window_span(ow, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
        const auto count = (r.hi - r.lo) * (c.hi - c.lo);
        acc = __fadd_rn(acc, __fdiv_rn(src[oh * g.out_w + ow], static_cast<float>(count)));
      }
    }
    dx[idx] = acc;
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
