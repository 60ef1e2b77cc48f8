// CUDA twin of kernels/cpu/reduce.cpp's sum_to_shape. Every output element is the double sum of
// the input elements that map to it, in an order fixed by the shapes alone:
//   - few terms per output, or many outputs: one thread per output element walks its terms in
//     increasing input order;
//   - otherwise: one block of kBlockThreads threads per output element; thread t sums terms
//     t, t + kBlockThreads, … in order, then a fixed shared-memory tree combines the partial sums.
// No atomics, so the result is bit-reproducible from run to run (and independent of the GPU
// model: the block size is a constant, not a tuning result).
#include <cuda_runtime.h>

#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/index_plan.cuh"
#include "kernels/cuda/reduce.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kBlockThreads = 256;
constexpr int kThreadThreads = 256;

// The merged input dimensions split into kept ones (they index the output, outermost first) and
// reduced ones (they index the terms of one output element), with the input's element strides.
struct ReducePlan {
  int kept_rank = 0;
  std::int64_t kept_extent[kMaxReduceRank] = {};
  std::int64_t kept_stride[kMaxReduceRank] = {};
  int red_rank = 0;
  std::int64_t red_extent[kMaxReduceRank] = {};
  std::int64_t red_stride[kMaxReduceRank] = {};
  std::int64_t terms = 1;  // product of the reduced extents
};

// Offset of index `i` decomposed over (extent, stride) pairs, innermost last.
__device__ __forceinline__ std::int64_t offset_of(std::int64_t i, int rank,
                                                  const std::int64_t* extent,
                                                  const std::int64_t* stride) {
  std::int64_t off = 0;
  for (int d = rank - 1; d >= 0; --d) {
    const std::int64_t e = extent[d];
    off += (i % e) * stride[d];
    i /= e;
  }
  return off;
}

__global__ void sum_thread_per_output(ReducePlan plan, const float* x, float* out,
                                      std::int64_t out_n, double scale) {
  for (std::int64_t o = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; o < out_n;
       o += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float* base = x + offset_of(o, plan.kept_rank, plan.kept_extent, plan.kept_stride);
    double acc = 0.0;
    for (std::int64_t r = 0; r < plan.terms; ++r)
      acc = __dadd_rn(
          acc,
          static_cast<double>(base[offset_of(r, plan.red_rank, plan.red_extent, plan.red_stride)]));
    out[o] = static_cast<float>(__dmul_rn(acc, scale));
  }
}

__global__ void sum_block_per_output(ReducePlan plan, const float* x, float* out,
                                     std::int64_t out_n, double scale) {
  __shared__ double partial[kBlockThreads];
  for (std::int64_t o = blockIdx.x; o < out_n; o += gridDim.x) {
    const float* base = x + offset_of(o, plan.kept_rank, plan.kept_extent, plan.kept_stride);
    double acc = 0.0;
    for (std::int64_t r = threadIdx.x; r < plan.terms; r += kBlockThreads)
      acc = __dadd_rn(
          acc,
          static_cast<double>(base[offset_of(r, plan.red_rank, plan.red_extent, plan.red_stride)]));
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int s = kBlockThreads / 2; s > 0; s >>= 1) {
      if (static_cast<int>(threadIdx.x) < s)
        partial[threadIdx.x] = __dadd_rn(partial[threadIdx.x], partial[threadIdx.x + s]);
      __syncthreads();
    }
    if (threadIdx.x == 0) out[o] = static_cast<float>(__dmul_rn(partial[0], scale));
    // The next output element reuses `partial`: every thread must have read its last value.
    __syncthreads();
  }
}

}  // namespace

void sum_to_shape(KernelContext& ctx, std::span<const std::int64_t> in_shape, const float* x,
                  std::span<const std::int64_t> out_shape, float* out, double scale) {
  if (in_shape.size() != out_shape.size())
    throw CudaError("sum_to_shape: input rank " + std::to_string(in_shape.size()) +
                    " differs from the output rank " + std::to_string(out_shape.size()));
  const std::int64_t out_n = detail::numel_of(out_shape);
  if (out_n == 0) return;
  DeviceGuard guard(ctx.device());
  if (detail::numel_of(in_shape) == 0) {
    // An empty reduction yields 0 (all-zero bits are 0.0f).
    DEEPOBS_CUDA_CHECK(
        cudaMemsetAsync(out, 0, static_cast<std::size_t>(out_n) * sizeof(float), ctx.stream()));
    return;
  }
  // Merge neighbouring input dimensions that are both reduced or both kept, dropping extents of 1
  // (the rule of kernels/cpu/reduce.cpp).
  std::int64_t extent[64];
  bool reduced[64];
  int g = 0;
  for (std::size_t d = 0; d < in_shape.size(); ++d) {
    if (in_shape[d] == 1) continue;
    const bool r = out_shape[d] == 1;
    if (g > 0 && reduced[g - 1] == r) {
      extent[g - 1] *= in_shape[d];
    } else {
      if (g == 64) throw CudaError("sum_to_shape: more than 64 dimensions");
      extent[g] = in_shape[d];
      reduced[g] = r;
      ++g;
    }
  }
  ReducePlan plan;
  std::int64_t stride = 1;
  // Walk from the innermost merged dimension outwards, then reverse each list's order.
  std::int64_t ke[64], ks[64], re[64], rs[64];
  int nk = 0, nr = 0;
  for (int i = g - 1; i >= 0; --i) {
    if (reduced[i]) {
      re[nr] = extent[i];
      rs[nr] = stride;
      ++nr;
    } else {
      ke[nk] = extent[i];
      ks[nk] = stride;
      ++nk;
    }
    stride *= extent[i];
  }
  if (nk > kMaxReduceRank || nr > kMaxReduceRank)
    throw CudaError(
        "sum_to_shape: " + std::to_string(g) +
        " alternating kept/reduced dimensions after merging; the CUDA kernel supports " +
        std::to_string(kMaxReduceRank) + " of each");
  plan.kept_rank = nk;
  for (int j = 0; j < nk; ++j) {
    plan.kept_extent[j] = ke[nk - 1 - j];
    plan.kept_stride[j] = ks[nk - 1 - j];
  }
  plan.red_rank = nr;
  plan.terms = 1;
  for (int j = 0; j < nr; ++j) {
    plan.red_extent[j] = re[nr - 1 - j];
    plan.red_stride[j] = rs[nr - 1 - j];
    plan.terms *= plan.red_extent[j];
  }
  // A kept index over zero kept dimensions is the single output element (offset 0); the product
  // of the kept extents equals out_n.
  if (plan.terms <= 64 || out_n >= 16384) {
    sum_thread_per_output<<<grid_for(out_n, kThreadThreads), kThreadThreads, 0, ctx.stream()>>>(
        plan, x, out, out_n, scale);
  } else {
    const unsigned blocks = static_cast<unsigned>(out_n < 65535 ? out_n : 65535);
    sum_block_per_output<<<blocks, kBlockThreads, 0, ctx.stream()>>>(plan, x, out, out_n, scale);
  }
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
