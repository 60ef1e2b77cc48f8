#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/embedding.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void embedding_forward_kernel(const float* __restrict__ table,
                                         const std::int64_t* __restrict__ ids, std::int64_t count,
                                         std::int64_t vocabulary, std::int64_t width,
                                         float* __restrict__ out) {
  const std::int64_t n_all = count * width;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n_all;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t n = e / width, k = e - n * width;
    const std::int64_t v = ids[n];
    out[e] = (v >= 0 && v < vocabulary) ? table[v * width + k]
                                        : __int_as_float(0x7fc00000);  // quiet NaN
  }
}

// Thread (v, k) sums column k of the rows whose id is v, in increasing n. Neighbouring threads
// share v and read neighbouring k, so the gradient rows they read coalesce.
__global__ void embedding_backward_kernel(const float* __restrict__ g,
                                          const std::int64_t* __restrict__ ids, std::int64_t count,
                                          std::int64_t vocabulary, std::int64_t width,
                                          float* __restrict__ table_grad) {
  const std::int64_t n_all = vocabulary * width;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < n_all;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t v = e / width, k = e - v * width;
    float sum = 0.0f;
    for (std::int64_t n = 0; n < count; ++n)
      if (ids[n] == v) sum = __fadd_rn(sum, g[n * width + k]);
    table_grad[e] = sum;
  }
}

// Runs `kernel` as a grid-stride loop over n elements on ctx's stream.
template <class... P, class... A>
void launch(KernelContext& ctx, std::int64_t n, void (*kernel)(P...), A... args) {
  if (n == 0) return;
  DeviceGuard guard(ctx.device());
  kernel<<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(args...);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace

void embedding_forward(KernelContext& ctx, const float* table, const std::int64_t* ids,
                       std::int64_t count, std::int64_t vocabulary, std::int64_t width,
                       float* out) {
  launch(ctx, count * width, embedding_forward_kernel, table, ids, count, vocabulary, width, out);
}

void embedding_backward(KernelContext& ctx, const float* g, const std::int64_t* ids,
                        std::int64_t count, std::int64_t vocabulary, std::int64_t width,
                        float* table_grad) {
  launch(ctx, vocabulary * width, embedding_backward_kernel, g, ids, count, vocabulary, width,
         table_grad);
}

}  // namespace deepobs::kernels::cuda
