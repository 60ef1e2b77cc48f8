// CUDA twins of kernels/cpu/elementwise.cpp. The per-element formulas are written in the same
// order as the CPU's Eigen expressions (e.g. (2·x)·dy, dy·(y·(1−y))) so that, with contraction
// switched off (-fmad=false for this file, see CMakeLists.txt), the basic operations round exactly
// as on the CPU.
#include <cuda_runtime.h>

#include <string>
#include <type_traits>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/elementwise.h"

namespace deepobs::kernels::cuda {
namespace {

using cpu::BinaryOp;
using cpu::UnaryOp;

constexpr int kThreads = 256;

template <UnaryOp OP>
__device__ __forceinline__ float unary_value(float x, float p) {
  if constexpr (OP == UnaryOp::kNeg)
    return -x;
  else if constexpr (OP == UnaryOp::kExp)
    return expf(x);
  else if constexpr (OP == UnaryOp::kLog)
    return logf(x);
  else if constexpr (OP == UnaryOp::kSquare)
    return x * x;
  else if constexpr (OP == UnaryOp::kSqrt)
    return sqrtf(x);
  else if constexpr (OP == UnaryOp::kPow)
    return powf(x, p);
  // x < 0 rather than max(x, 0) so that a NaN stays NaN (as on the CPU).
  else if constexpr (OP == UnaryOp::kRelu)
    return x < 0.0f ? 0.0f : x;
  else if constexpr (OP == UnaryOp::kLeakyRelu)
    return x < 0.0f ? p * x : x;
  // expf(-x) overflows to +inf for very negative x and 1/(1+inf) is exactly 0.
  else if constexpr (OP == UnaryOp::kSigmoid)
    return 1.0f / (1.0f + expf(-x));
  else if constexpr (OP == UnaryOp::kTanh)
    return tanhf(x);
  else if constexpr (OP == UnaryOp::kSin)
    return sinf(x);
  else if constexpr (OP == UnaryOp::kCos)
    return cosf(x);
  else
    return x;
}

// dx for one element; see kernels/cpu/elementwise.h for which of x, y each rule reads.
template <UnaryOp OP>
__device__ __forceinline__ float unary_grad(const float* x, const float* y, float dy,
                                            std::int64_t i, float p) {
  if constexpr (OP == UnaryOp::kNeg)
    return -dy;
  else if constexpr (OP == UnaryOp::kExp)
    return dy * y[i];
  else if constexpr (OP == UnaryOp::kLog)
    return dy / x[i];
  else if constexpr (OP == UnaryOp::kSquare)
    return (2.0f * x[i]) * dy;
  else if constexpr (OP == UnaryOp::kSqrt)
    return dy / (2.0f * y[i]);
  // d/dx x^0 is 0 everywhere; the general formula would give 0·x^-1 = NaN at x = 0.
  else if constexpr (OP == UnaryOp::kPow)
    return p == 0.0f ? 0.0f : dy * (p * powf(x[i], p - 1.0f));
  // TF's ReluGrad: the gradient passes where the output is positive.
  else if constexpr (OP == UnaryOp::kRelu)
    return y[i] > 0.0f ? dy : 0.0f;
  // Slope 1 at exactly 0 (TF's tf.maximum(x, p·x) sends ties to its first argument).
  else if constexpr (OP == UnaryOp::kLeakyRelu)
    return x[i] < 0.0f ? p * dy : dy;
  else if constexpr (OP == UnaryOp::kSigmoid)
    return dy * (y[i] * (1.0f - y[i]));
  else if constexpr (OP == UnaryOp::kTanh)
    return dy * (1.0f - y[i] * y[i]);
  else if constexpr (OP == UnaryOp::kSin)
    return dy * cosf(x[i]);
  else if constexpr (OP == UnaryOp::kCos)
    return -dy * sinf(x[i]);
  else
    return dy;
}

template <BinaryOp OP>
__device__ __forceinline__ float binary_value(float a, float b) {
  if constexpr (OP == BinaryOp::kAdd)
    return a + b;
  else if constexpr (OP == BinaryOp::kSub)
    return a - b;
  else if constexpr (OP == BinaryOp::kMul)
    return a * b;
  else if constexpr (OP == BinaryOp::kDiv)
    return a / b;
  else if constexpr (OP == BinaryOp::kPow)
    return powf(a, b);
  else
    return a;
}

__device__ __forceinline__ std::int64_t first_index() {
  return blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
}
__device__ __forceinline__ std::int64_t grid_stride() {
  return static_cast<std::int64_t>(gridDim.x) * blockDim.x;
}

template <UnaryOp OP>
__global__ void unary_forward_kernel(const float* x, float* y, std::int64_t n, float p) {
  for (std::int64_t i = first_index(); i < n; i += grid_stride())
    y[i] = unary_value<OP>(x[i], p);
}

template <UnaryOp OP>
__global__ void unary_backward_kernel(const float* x, const float* y, const float* dy, float* dx,
                                      std::int64_t n, float p) {
  for (std::int64_t i = first_index(); i < n; i += grid_stride())
    dx[i] = unary_grad<OP>(x, y, dy[i], i, p);
}

template <BinaryOp OP>
__global__ void binary_same_kernel(const float* a, const float* b, float* out, std::int64_t n) {
  for (std::int64_t i = first_index(); i < n; i += grid_stride())
    out[i] = binary_value<OP>(a[i], b[i]);
}

template <BinaryOp OP>
__global__ void binary_scalar_right_kernel(const float* a, float b, float* out, std::int64_t n) {
  for (std::int64_t i = first_index(); i < n; i += grid_stride())
    out[i] = binary_value<OP>(a[i], b);
}

template <BinaryOp OP>
__global__ void binary_scalar_left_kernel(float a, const float* b, float* out, std::int64_t n) {
  for (std::int64_t i = first_index(); i < n; i += grid_stride())
    out[i] = binary_value<OP>(a, b[i]);
}

// Calls f(std::integral_constant<UnaryOp, op>) so that each op gets its own kernel instance.
template <class F>
void with_unary(UnaryOp op, F&& f) {
  switch (op) {
#define DEEPOBS_CASE(E)                               \
  case UnaryOp::E:                                    \
    f(std::integral_constant<UnaryOp, UnaryOp::E>{}); \
    return;
    DEEPOBS_CASE(kNeg)
    DEEPOBS_CASE(kExp)
    DEEPOBS_CASE(kLog)
    DEEPOBS_CASE(kSquare)
    DEEPOBS_CASE(kSqrt)
    DEEPOBS_CASE(kPow)
    DEEPOBS_CASE(kRelu)
    DEEPOBS_CASE(kLeakyRelu)
    DEEPOBS_CASE(kSigmoid)
    DEEPOBS_CASE(kTanh)
    DEEPOBS_CASE(kSin)
    DEEPOBS_CASE(kCos)
#undef DEEPOBS_CASE
  }
  throw CudaError("unary op " + std::to_string(static_cast<int>(op)) + " has no CUDA kernel");
}

template <class F>
void with_binary(BinaryOp op, F&& f) {
  switch (op) {
    case BinaryOp::kAdd:
      f(std::integral_constant<BinaryOp, BinaryOp::kAdd>{});
      return;
    case BinaryOp::kSub:
      f(std::integral_constant<BinaryOp, BinaryOp::kSub>{});
      return;
    case BinaryOp::kMul:
      f(std::integral_constant<BinaryOp, BinaryOp::kMul>{});
      return;
    case BinaryOp::kDiv:
      f(std::integral_constant<BinaryOp, BinaryOp::kDiv>{});
      return;
    case BinaryOp::kPow:
      f(std::integral_constant<BinaryOp, BinaryOp::kPow>{});
      return;
  }
  throw CudaError("binary op " + std::to_string(static_cast<int>(op)) + " has no CUDA kernel");
}

}  // namespace

void unary_forward(KernelContext& ctx, UnaryOp op, const float* x, float* y, std::int64_t n,
                   float p) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  with_unary(op, [&](auto k) {
    unary_forward_kernel<decltype(k)::value>
        <<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(x, y, n, p);
    DEEPOBS_CUDA_CHECK_LAUNCH();
  });
}

void unary_backward(KernelContext& ctx, UnaryOp op, const float* x, const float* y, const float* dy,
                    float* dx, std::int64_t n, float p) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  with_unary(op, [&](auto k) {
    unary_backward_kernel<decltype(k)::value>
        <<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(x, y, dy, dx, n, p);
    DEEPOBS_CUDA_CHECK_LAUNCH();
  });
}

void binary_same(KernelContext& ctx, BinaryOp op, const float* a, const float* b, float* out,
                 std::int64_t n) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  with_binary(op, [&](auto k) {
    binary_same_kernel<decltype(k)::value>
        <<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(a, b, out, n);
    DEEPOBS_CUDA_CHECK_LAUNCH();
  });
}

void binary_scalar_right(KernelContext& ctx, BinaryOp op, const float* a, float b, float* out,
                         std::int64_t n) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  with_binary(op, [&](auto k) {
    binary_scalar_right_kernel<decltype(k)::value>
        <<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(a, b, out, n);
    DEEPOBS_CUDA_CHECK_LAUNCH();
  });
}

void binary_scalar_left(KernelContext& ctx, BinaryOp op, float a, const float* b, float* out,
                        std::int64_t n) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  with_binary(op, [&](auto k) {
    binary_scalar_left_kernel<decltype(k)::value>
        <<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(a, b, out, n);
    DEEPOBS_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace deepobs::kernels::cuda
