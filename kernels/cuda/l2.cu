#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/l2.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 1024;

// One block walks every segment: each thread sums a fixed strided subset in double, a fixed
// shared-memory tree combines them, thread 0 adds the segment's f32 sum to the total. A single
// block keeps the order fixed without a second launch; the regularised parameters are read once
// (memory bound: ~0.3 ms for WRN-40-4's 9 M on one SM), which is small next to a step.
__global__ void l2_kernel(const float* __restrict__ x, const std::int64_t* __restrict__ segments,
                          std::int64_t count, float scale, float* __restrict__ out) {
  __shared__ double partial[kThreads];
  float total = 0.0f;
  for (std::int64_t k = 0; k < count; ++k) {
    const float* p = x + segments[2 * k];
    const std::int64_t n = segments[2 * k + 1];
    double s = 0.0;
    for (std::int64_t i = threadIdx.x; i < n; i += kThreads)
      s = __dadd_rn(s, static_cast<double>(__fmul_rn(p[i], p[i])));
    partial[threadIdx.x] = s;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (threadIdx.x < half)
        partial[threadIdx.x] = __dadd_rn(partial[threadIdx.x], partial[threadIdx.x + half]);
      __syncthreads();
    }
    if (threadIdx.x == 0)
      total = k == 0 ? static_cast<float>(partial[0])
                     : __fadd_rn(total, static_cast<float>(partial[0]));
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = __fmul_rn(total, scale);
}

// blockIdx.y = segment, a grid-stride loop over its elements.
__global__ void l2_backward_kernel(const float* __restrict__ x,
                                   const std::int64_t* __restrict__ segments, const float* g,
                                   float scale, float* __restrict__ grad) {
  const std::int64_t offset = segments[2 * blockIdx.y], n = segments[2 * blockIdx.y + 1];
  const float gs = __fmul_rn(*g, scale);
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    grad[offset + i] = __fadd_rn(grad[offset + i], __fmul_rn(__fmul_rn(2.0f, x[offset + i]), gs));
}

}  // namespace

void l2_penalty(KernelContext& ctx, const float* x, const std::int64_t* segments,
                std::int64_t count, float scale, float* out) {
  DeviceGuard guard(ctx.device());
  l2_kernel<<<1, kThreads, 0, ctx.stream()>>>(x, segments, count, scale, out);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void l2_penalty_backward(KernelContext& ctx, const float* x, const std::int64_t* segments,
                         std::int64_t count, const float* g, float scale, float* grad) {
  if (count <= 0) return;
  if (count > 65535) throw CudaError("l2_penalty_backward: more than 65535 segments");
  constexpr int kBlock = 256;
  DeviceGuard guard(ctx.device());
  const dim3 grid(256, static_cast<unsigned>(count));
  l2_backward_kernel<<<grid, kBlock, 0, ctx.stream()>>>(x, segments, g, scale, grad);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
