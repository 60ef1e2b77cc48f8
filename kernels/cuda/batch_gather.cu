#include "kernels/cuda/batch_gather.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ std::int64_t source_row(const std::int64_t* index, std::int64_t first,
                                                   std::int64_t i) {
  return index ? index[first + i] : first + i;
}

// One thread per output element in a grid-stride loop over count*row elements (int64 indices:
// a large eval batch of big images exceeds 2^31 elements only in theory, but the math is cheap).
// Consecutive threads read consecutive bytes of one example row, so loads and stores coalesce.
__global__ void gather_u8_kernel(const std::uint8_t* __restrict__ src,
                                 const std::int64_t* __restrict__ index,
                                 const std::int64_t* __restrict__ first_at, std::int64_t count,
                                 std::int64_t row, float divisor, float* __restrict__ dst) {
  const std::int64_t n = count * row, first = *first_at;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / row;
    const std::int64_t j = e - i * row;
    const std::uint8_t v = src[source_row(index, first, i) * row + j];
    dst[e] = __fdiv_rn(static_cast<float>(v), divisor);
  }
}

__global__ void gather_f32_kernel(const float* __restrict__ src,
                                  const std::int64_t* __restrict__ index,
                                  const std::int64_t* __restrict__ first_at, std::int64_t count,
                                  std::int64_t row, float* __restrict__ dst) {
  const std::int64_t n = count * row, first = *first_at;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = e / row;
    const std::int64_t j = e - i * row;
    dst[e] = src[source_row(index, first, i) * row + j];
  }
}

__global__ void gather_i64_kernel(const std::int64_t* __restrict__ src,
                                  const std::int64_t* __restrict__ index,
                                  const std::int64_t* __restrict__ first_at, std::int64_t count,
                                  std::int64_t* __restrict__ dst) {
  const std::int64_t first = *first_at;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[i] = src[source_row(index, first, i)];
}

__global__ void add_i64_kernel(std::int64_t* counter, std::int64_t delta) {
  *counter += delta;
}

}  // namespace

void gather_rows_u8_to_f32(KernelContext& ctx, const std::uint8_t* src, const std::int64_t* index,
                           const std::int64_t* first, std::int64_t count, std::int64_t row,
                           float divisor, float* dst) {
  if (count <= 0 || row <= 0) return;
  DeviceGuard guard(ctx.device());
  gather_u8_kernel<<<grid_for(count * row, kThreads), kThreads, 0, ctx.stream()>>>(
      src, index, first, count, row, divisor, dst);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void gather_rows_f32(KernelContext& ctx, const float* src, const std::int64_t* index,
                     const std::int64_t* first, std::int64_t count, std::int64_t row, float* dst) {
  if (count <= 0 || row <= 0) return;
  DeviceGuard guard(ctx.device());
  gather_f32_kernel<<<grid_for(count * row, kThreads), kThreads, 0, ctx.stream()>>>(
      src, index, first, count, row, dst);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void gather_i64(KernelContext& ctx, const std::int64_t* src, const std::int64_t* index,
                const std::int64_t* first, std::int64_t count, std::int64_t* dst) {
  if (count <= 0) return;
  DeviceGuard guard(ctx.device());
  gather_i64_kernel<<<grid_for(count, kThreads), kThreads, 0, ctx.stream()>>>(src, index, first,
                                                                              count, dst);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void add_i64(KernelContext& ctx, std::int64_t* counter, std::int64_t delta) {
  DeviceGuard guard(ctx.device());
  add_i64_kernel<<<1, 1, 0, ctx.stream()>>>(counter, delta);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
