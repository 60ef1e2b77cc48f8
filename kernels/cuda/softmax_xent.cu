#include <cstdint>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/softmax_xent.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;

// Maximum that lets a NaN win, so a NaN row stays NaN through lse.
__device__ float nan_max(float a, float b) {
  if (isnan(a)) return a;
  if (isnan(b)) return b;
  return a > b ? a : b;
}

__device__ float warp_max(float v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    v = nan_max(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

// Fixed butterfly: every lane ends with the same sum, combined in the same order on every run.
__device__ double warp_sum(double v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    v = __dadd_rn(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

// Rows handled by warp `w` of the grid: w, w + warps, … (all lanes of a warp take the same rows,
// so the shuffles always see a full warp).
#define DEEPOBS_FOR_EACH_ROW(row, n)                                                   \
  for (std::int64_t row =                                                              \
           (blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x) / kWarp; \
       row < (n); row += static_cast<std::int64_t>(gridDim.x) * blockDim.x / kWarp)

template <class L>
__global__ void forward_kernel(const float* __restrict__ logits, const L* __restrict__ labels,
                               std::int64_t n, std::int64_t classes, float smoothing,
                               float* __restrict__ loss, float* __restrict__ lse) {
  const int lane = static_cast<int>(threadIdx.x % kWarp);
  const double eps = static_cast<double>(smoothing);
  DEEPOBS_FOR_EACH_ROW(row, n) {
    const float* x = logits + row * classes;
    float m = -INFINITY;
    for (std::int64_t c = lane; c < classes; c += kWarp)
      m = nan_max(m, x[c]);
    m = warp_max(m);
    double s = 0.0, sum_x = 0.0;
    for (std::int64_t c = lane; c < classes; c += kWarp) {
      s = __dadd_rn(s, static_cast<double>(expf(__fsub_rn(x[c], m))));
      sum_x = __dadd_rn(sum_x, static_cast<double>(x[c]));
    }
    s = warp_sum(s);
    sum_x = warp_sum(sum_x);
    if (lane == 0) {
      const double l = __dadd_rn(static_cast<double>(m), log(s));
      const auto y = static_cast<std::int64_t>(labels[row]);
      if (y < 0 || y >= classes) {
        loss[row] = NAN;
        lse[row] = NAN;
      } else {
        double value = __dsub_rn(l, __dmul_rn(__dsub_rn(1.0, eps), static_cast<double>(x[y])));
        // Skipped for ε = 0 so that an infinite logit cannot turn 0·inf into NaN (as on the CPU).
        if (eps != 0.0)
          value = __dsub_rn(value, __ddiv_rn(__dmul_rn(eps, sum_x), static_cast<double>(classes)));
        loss[row] = static_cast<float>(value);
        lse[row] = static_cast<float>(l);
      }
    }
  }
}

template <class L>
__global__ void backward_kernel(const float* __restrict__ logits, const L* __restrict__ labels,
                                const float* __restrict__ lse, const float* __restrict__ grad_loss,
                                std::int64_t total, std::int64_t classes, float off, float on,
                                float* __restrict__ dlogits) {
  for (std::int64_t idx = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       idx < total; idx += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t i = idx / classes, c = idx - i * classes;
    const auto y = static_cast<std::int64_t>(labels[i]);
    if (y < 0 || y >= classes) {
      dlogits[idx] = NAN;
      continue;
    }
    const float p = expf(__fsub_rn(logits[idx], lse[i]));
    dlogits[idx] = __fmul_rn(__fsub_rn(p, c == y ? on : off), grad_loss[i]);
  }
}

// counts[0]: correct rows; counts[1]: the smallest bad row (initialised to all ones).
template <class L>
__global__ void count_kernel(const float* __restrict__ logits, const L* __restrict__ labels,
                             std::int64_t n, std::int64_t classes,
                             unsigned long long* __restrict__ counts) {
  const int lane = static_cast<int>(threadIdx.x % kWarp);
  DEEPOBS_FOR_EACH_ROW(row, n) {
    const float* x = logits + row * classes;
    // Each lane's first maximum over its strided subset (strict >: the first wins ties), then
    // the lanes are merged preferring the larger value and, on ties, the smaller index.
    float best = -INFINITY;
    std::int64_t best_at = INT64_MAX;
    bool nan = false;
    for (std::int64_t c = lane; c < classes; c += kWarp) {
      const float v = x[c];
      if (isnan(v)) nan = true;
      if (best_at == INT64_MAX || v > best) {
        best = v;
        best_at = c;
      }
    }
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
      const float other = __shfl_xor_sync(kFullMask, best, offset);
      const std::int64_t other_at = __shfl_xor_sync(kFullMask, best_at, offset);
      if (other > best || (other == best && other_at < best_at) ||
          (best_at == INT64_MAX && other_at != INT64_MAX)) {
        best = other;
        best_at = other_at;
      }
    }
    nan = __any_sync(kFullMask, nan);
    if (lane == 0) {
      const auto y = static_cast<std::int64_t>(labels[row]);
      if (y < 0 || y >= classes)
        atomicMin(&counts[1], static_cast<unsigned long long>(row));
      else if (!nan && best_at == y)
        atomicAdd(&counts[0], 1ull);  // integer sum: the same total in any order
    }
  }
}

unsigned rows_grid(std::int64_t n) {
  return grid_for(n * kWarp, kThreads);
}

}  // namespace

template <class L>
void softmax_xent_forward(KernelContext& ctx, const float* logits, const L* labels, std::int64_t n,
                          std::int64_t classes, float smoothing, float* loss, float* lse) {
  if (n == 0) return;
  DeviceGuard guard(ctx.device());
  forward_kernel<L><<<rows_grid(n), kThreads, 0, ctx.stream()>>>(logits, labels, n, classes,
                                                                 smoothing, loss, lse);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

template <class L>
void softmax_xent_backward(KernelContext& ctx, const float* logits, const L* labels,
                           const float* lse, const float* grad_loss, std::int64_t n,
                           std::int64_t classes, float smoothing, float* dlogits) {
  const std::int64_t total = n * classes;
  if (total == 0) return;
  DeviceGuard guard(ctx.device());
  // The targets as the CPU computes them, in f32: off = ε / C, on = (1 − ε) + off.
  const float off = smoothing / static_cast<float>(classes);
  const float on = (1.0f - smoothing) + off;
  backward_kernel<L><<<grid_for(total, kThreads), kThreads, 0, ctx.stream()>>>(
      logits, labels, lse, grad_loss, total, classes, off, on, dlogits);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

template <class L>
CorrectCount count_correct(KernelContext& ctx, const float* logits, const L* labels, std::int64_t n,
                           std::int64_t classes) {
  CorrectCount result;
  if (n == 0) return result;
  DeviceGuard guard(ctx.device());
  auto* counts = static_cast<unsigned long long*>(ctx.workspace(2 * sizeof(unsigned long long)));
  // counts[0] = 0, counts[1] = all ones (no bad row yet).
  DEEPOBS_CUDA_CHECK(cudaMemsetAsync(counts, 0, sizeof(unsigned long long), ctx.stream()));
  DEEPOBS_CUDA_CHECK(cudaMemsetAsync(counts + 1, 0xff, sizeof(unsigned long long), ctx.stream()));
  count_kernel<L><<<rows_grid(n), kThreads, 0, ctx.stream()>>>(logits, labels, n, classes, counts);
  DEEPOBS_CUDA_CHECK_LAUNCH();
  unsigned long long host[2] = {0, 0};
  DEEPOBS_CUDA_CHECK(
      cudaMemcpyAsync(host, counts, sizeof(host), cudaMemcpyDeviceToHost, ctx.stream()));
  DEEPOBS_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
  result.correct = static_cast<std::int64_t>(host[0]);
  if (host[1] != ~0ull) {
    result.first_bad_row = static_cast<std::int64_t>(host[1]);
    L label{};
    DEEPOBS_CUDA_CHECK(cudaMemcpyAsync(&label, labels + result.first_bad_row, sizeof(L),
                                       cudaMemcpyDeviceToHost, ctx.stream()));
    DEEPOBS_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
    result.first_bad_label = static_cast<std::int64_t>(label);
  }
  return result;
}

#define DEEPOBS_INSTANTIATE(L)                                                                     \
  template void softmax_xent_forward<L>(KernelContext&, const float*, const L*, std::int64_t,      \
                                        std::int64_t, float, float*, float*);                      \
  template void softmax_xent_backward<L>(KernelContext&, const float*, const L*, const float*,     \
                                         const float*, std::int64_t, std::int64_t, float, float*); \
  template CorrectCount count_correct<L>(KernelContext&, const float*, const L*, std::int64_t,     \
                                         std::int64_t);
DEEPOBS_INSTANTIATE(std::int32_t)
DEEPOBS_INSTANTIATE(std::int64_t)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cuda
