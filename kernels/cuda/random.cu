// CUDA twins of kernels/cpu/random.cpp. Each thread produces one Philox block's worth of elements
// exactly as one iteration of the CPU loop does (same block index, same lanes, same DEEPOBS_HD
// variate functions), so the two fill identical bits. The variate math uses __dadd_rn/__dmul_rn
// style intrinsics (kernels/rng_math.h) and this file is compiled with -fmad=false (CMakeLists.txt)
// so that no multiply-add is contracted into an FMA.
#include <cuda_runtime.h>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/random.h"
#include "kernels/random_draws.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ std::int64_t first_index() {
  return blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
}
__device__ __forceinline__ std::int64_t grid_stride() {
  return static_cast<std::int64_t>(gridDim.x) * blockDim.x;
}
// The draw with its call index read from device memory when `call_at` is given.
__device__ __forceinline__ PhiloxDraw at_call(PhiloxDraw d, const std::int64_t* call_at) {
  if (call_at) d.call = static_cast<std::uint32_t>(*call_at);
  return d;
}

// One thread per block of four elements (lane l → element 4b + l).
__global__ void uniform_kernel(PhiloxDraw draw, const std::int64_t* call_at, float* out,
                               std::int64_t n, double lo, double range) {
  const PhiloxDraw d = at_call(draw, call_at);
  const std::int64_t blocks = (n + 3) / 4;
  for (std::int64_t b = first_index(); b < blocks; b += grid_stride()) {
    const PhiloxWords w = d.block(static_cast<std::uint32_t>(b), 0);
    for (std::int64_t l = 0, i = 4 * b; l < 4 && i < n; ++l, ++i)
      out[i] = static_cast<float>(affine(lo, range, uniform24(w.v[l])));
  }
}

// One thread per pair (2p, 2p+1).
__global__ void normal_kernel(PhiloxDraw draw, const std::int64_t* call_at, float* out,
                              std::int64_t n, double mean, double stddev) {
  const PhiloxDraw d = at_call(draw, call_at);
  const std::int64_t pairs = (n + 1) / 2;
  for (std::int64_t p = first_index(); p < pairs; p += grid_stride()) {
    double z0 = 0.0, z1 = 0.0;
    normal_pair(d, static_cast<std::uint32_t>(p), 0, &z0, &z1);
    out[2 * p] = static_cast<float>(affine(mean, stddev, z0));
    if (2 * p + 1 < n) out[2 * p + 1] = static_cast<float>(affine(mean, stddev, z1));
  }
}

__global__ void truncated_normal_kernel(PhiloxDraw draw, const std::int64_t* call_at, float* out,
                                        std::int64_t n, double mean, double stddev) {
  const PhiloxDraw d = at_call(draw, call_at);
  const std::int64_t pairs = (n + 1) / 2;
  for (std::int64_t p = first_index(); p < pairs; p += grid_stride()) {
    double z0 = 0.0, z1 = 0.0;
    truncated_normal_pair(d, static_cast<std::uint32_t>(p), &z0, &z1);
    out[2 * p] = static_cast<float>(affine(mean, stddev, z0));
    if (2 * p + 1 < n) out[2 * p + 1] = static_cast<float>(affine(mean, stddev, z1));
  }
}

__global__ void keep_mask_kernel(PhiloxDraw draw, const std::int64_t* call_at, float* out,
                                 std::int64_t n, double rate, float keep_value) {
  const PhiloxDraw d = at_call(draw, call_at);
  const std::int64_t blocks = (n + 3) / 4;
  for (std::int64_t b = first_index(); b < blocks; b += grid_stride()) {
    const PhiloxWords w = d.block(static_cast<std::uint32_t>(b), 0);
    for (std::int64_t l = 0, i = 4 * b; l < 4 && i < n; ++l, ++i)
      out[i] = keep_element(w.v[l], rate) ? keep_value : 0.0f;
  }
}

}  // namespace

void random_uniform(KernelContext& ctx, const PhiloxDraw& d, float* out, std::int64_t n, double lo,
                    double hi, const std::int64_t* call_at) {
  if (n <= 0) return;
  // hi - lo in host double arithmetic, as kernels/cpu/random.cpp computes it.
  const double range = hi - lo;
  DeviceGuard guard(ctx.device());
  uniform_kernel<<<grid_for((n + 3) / 4, kThreads), kThreads, 0, ctx.stream()>>>(d, call_at, out, n,
                                                                                 lo, range);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void random_normal(KernelContext& ctx, const PhiloxDraw& d, float* out, std::int64_t n, double mean,
                   double stddev, const std::int64_t* call_at) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  normal_kernel<<<grid_for((n + 1) / 2, kThreads), kThreads, 0, ctx.stream()>>>(d, call_at, out, n,
                                                                                mean, stddev);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void random_truncated_normal(KernelContext& ctx, const PhiloxDraw& d, float* out, std::int64_t n,
                             double mean, double stddev, const std::int64_t* call_at) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  truncated_normal_kernel<<<grid_for((n + 1) / 2, kThreads), kThreads, 0, ctx.stream()>>>(
      d, call_at, out, n, mean, stddev);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void random_keep_mask(KernelContext& ctx, const PhiloxDraw& d, float* out, std::int64_t n,
                      double rate, float keep_value, const std::int64_t* call_at) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  keep_mask_kernel<<<grid_for((n + 3) / 4, kThreads), kThreads, 0, ctx.stream()>>>(
      d, call_at, out, n, rate, keep_value);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
