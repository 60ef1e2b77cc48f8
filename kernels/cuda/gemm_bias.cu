// The bias helpers declared in kernels/cuda/gemm.h.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/gemm.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;
// column_sums: a block covers kColumns adjacent columns (coalesced row reads) with kLanes lanes
// per column, each lane summing every kLanes-th row.
constexpr int kColumns = 32;
constexpr int kLanes = 8;

__global__ void add_row_bias_kernel(float* __restrict__ out, const float* __restrict__ bias,
                                    std::int64_t total, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    out[i] = __fadd_rn(out[i], bias[i % n]);
}

__global__ void column_sums_kernel(const float* __restrict__ g, std::int64_t m, std::int64_t n,
                                   float* __restrict__ sums) {
  __shared__ double partial[kLanes][kColumns + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  // Every thread of the block runs the same number of iterations (the bound depends on blockIdx
  // only), so the barriers below are reached by all of them.
  for (std::int64_t tile = blockIdx.x; tile * kColumns < n; tile += gridDim.x) {
    const std::int64_t j = tile * kColumns + tx;
    double acc = 0.0;
    if (j < n) {
      for (std::int64_t i = ty; i < m; i += kLanes)
        acc += static_cast<double>(g[i * n + j]);
    }
    partial[ty][tx] = acc;
    __syncthreads();
    // Fixed tree over the lanes: 8 → 4 → 2 → 1.
    for (int half = kLanes / 2; half > 0; half /= 2) {
      if (ty < half) partial[ty][tx] += partial[ty + half][tx];
      __syncthreads();
    }
    if (ty == 0 && j < n) sums[j] = static_cast<float>(partial[0][tx]);
    __syncthreads();
  }
}

}  // namespace

void add_row_bias(KernelContext& ctx, float* out, const float* bias, std::int64_t m,
                  std::int64_t n) {
  const std::int64_t total = m * n;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  add_row_bias_kernel<<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(out, bias, total,
                                                                                n);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void column_sums(KernelContext& ctx, const float* g, std::int64_t m, std::int64_t n,
                 float* bias_grad) {
  if (n == 0) return;
  DeviceGuard guard(ctx.device());
  const dim3 block(kColumns, kLanes);
  column_sums_kernel<<<grid_for(n, kColumns), block, 0, ctx.stream()>>>(g, m, n, bias_grad);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
