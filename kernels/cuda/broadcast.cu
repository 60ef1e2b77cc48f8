// CUDA twins of kernels/cpu/broadcast.cpp: one thread per output element (grid-stride, 64-bit
// indices), each decomposing its linear index over the merged output extents to find its operands.
// The arithmetic is the same single IEEE operation as on the CPU (-fmad=false for this file), so
// add/sub/mul/div give the CPU's bits.
#include <cuda_runtime.h>

#include <array>
#include <string>
#include <type_traits>

#include "kernels/cuda/broadcast.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/index_plan.cuh"

namespace deepobs::kernels::cuda {
namespace {

using cpu::BinaryOp;
using detail::BroadcastPlan;

constexpr int kThreads = 256;

template <BinaryOp OP>
__device__ __forceinline__ float apply(float a, float b) {
  if constexpr (OP == BinaryOp::kAdd) {
    return a + b;
  } else if constexpr (OP == BinaryOp::kSub) {
    return a - b;
  } else if constexpr (OP == BinaryOp::kMul) {
    return a * b;
  } else if constexpr (OP == BinaryOp::kDiv) {
    return a / b;
  } else {
    return powf(a, b);
  }
}

// The element offsets of output element i in each of the K operands.
template <int K>
__device__ __forceinline__ void operand_offsets(const BroadcastPlan<K>& plan, std::int64_t i,
                                                std::int64_t (&off)[K]) {
  for (int k = 0; k < K; ++k)
    off[k] = 0;
  for (int d = plan.rank - 1; d >= 0; --d) {
    const std::int64_t e = plan.extent[d];
    const std::int64_t idx = i % e;
    i /= e;
    for (int k = 0; k < K; ++k)
      off[k] += idx * plan.stride[k][d];
  }
}

template <BinaryOp OP>
__global__ void binary_broadcast_kernel(BroadcastPlan<2> plan, const float* a, const float* b,
                                        float* out, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int64_t off[2];
    operand_offsets<2>(plan, i, off);
    out[i] = apply<OP>(a[off[0]], b[off[1]]);
  }
}

__global__ void broadcast_copy_kernel(BroadcastPlan<1> plan, const float* x, float* out,
                                      std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int64_t off[1];
    operand_offsets<1>(plan, i, off);
    out[i] = x[off[0]];
  }
}

}  // namespace

void binary_broadcast(KernelContext& ctx, BinaryOp op, std::span<const std::int64_t> out_shape,
                      std::span<const std::int64_t> a_shape, const float* a,
                      std::span<const std::int64_t> b_shape, const float* b, float* out) {
  if (a_shape.size() != out_shape.size() || b_shape.size() != out_shape.size())
    throw CudaError("binary_broadcast: operand ranks differ from the output rank " +
                    std::to_string(out_shape.size()));
  const std::int64_t n = detail::numel_of(out_shape);
  if (n == 0) return;
  const auto plan =
      detail::make_broadcast_plan<2>("binary_broadcast", out_shape, {a_shape, b_shape});
  DeviceGuard guard(ctx.device());
  const unsigned grid = grid_for(n, kThreads);
  switch (op) {
    case BinaryOp::kAdd:
      binary_broadcast_kernel<BinaryOp::kAdd>
          <<<grid, kThreads, 0, ctx.stream()>>>(plan, a, b, out, n);
      break;
    case BinaryOp::kSub:
      binary_broadcast_kernel<BinaryOp::kSub>
          <<<grid, kThreads, 0, ctx.stream()>>>(plan, a, b, out, n);
      break;
    case BinaryOp::kMul:
      binary_broadcast_kernel<BinaryOp::kMul>
          <<<grid, kThreads, 0, ctx.stream()>>>(plan, a, b, out, n);
      break;
    case BinaryOp::kDiv:
      binary_broadcast_kernel<BinaryOp::kDiv>
          <<<grid, kThreads, 0, ctx.stream()>>>(plan, a, b, out, n);
      break;
    case BinaryOp::kPow:
      binary_broadcast_kernel<BinaryOp::kPow>
          <<<grid, kThreads, 0, ctx.stream()>>>(plan, a, b, out, n);
      break;
    default:
      throw CudaError("binary_broadcast: unknown op " + std::to_string(static_cast<int>(op)));
  }
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void broadcast_copy(KernelContext& ctx, std::span<const std::int64_t> x_shape, const float* x,
                    std::span<const std::int64_t> out_shape, float* out) {
  if (x_shape.size() != out_shape.size())
    throw CudaError("broadcast_copy: input rank " + std::to_string(x_shape.size()) +
                    " differs from the output rank " + std::to_string(out_shape.size()));
  const std::int64_t n = detail::numel_of(out_shape);
  if (n == 0) return;
  const auto plan = detail::make_broadcast_plan<1>("broadcast_copy", out_shape, {x_shape});
  DeviceGuard guard(ctx.device());
  broadcast_copy_kernel<<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(plan, x, out, n);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
