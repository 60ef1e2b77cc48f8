#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/optimizer_updates.h"
#include "kernels/round_nearest.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;
// Enough blocks to fill an H100 several times over; the grid-stride loop covers any n.
constexpr std::int64_t kMaxBlocks = 4096;

unsigned grid_for(std::int64_t n) {
  const std::int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

__device__ __forceinline__ std::int64_t first_index() {
  return blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
}
__device__ __forceinline__ std::int64_t grid_stride() {
  return static_cast<std::int64_t>(gridDim.x) * blockDim.x;
}

template <class T>
__global__ void sgd_kernel(T* __restrict__ param, const T* __restrict__ grad, std::int64_t n,
                           const double* __restrict__ lr_ptr) {
  const T lr = static_cast<T>(*lr_ptr);
  for (std::int64_t i = first_index(); i < n; i += grid_stride())
    param[i] = sub_rn(param[i], mul_rn(lr, grad[i]));
}

template <class T, bool kNesterov>
__global__ void momentum_kernel(T* __restrict__ param, const T* __restrict__ grad,
                                T* __restrict__ accum, std::int64_t n,
                                const double* __restrict__ lr_ptr, T momentum) {
  const T lr = static_cast<T>(*lr_ptr);
  for (std::int64_t i = first_index(); i < n; i += grid_stride()) {
    const T g = grad[i];
    const T a = add_rn(mul_rn(momentum, accum[i]), g);
    accum[i] = a;
    if constexpr (kNesterov) {
      param[i] = sub_rn(param[i], mul_rn(lr, add_rn(g, mul_rn(momentum, a))));
    } else {
      param[i] = sub_rn(param[i], mul_rn(lr, a));
    }
  }
}

template <class T>
__global__ void adam_kernel(T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ m,
                            T* __restrict__ v, std::int64_t n, const double* __restrict__ lr_ptr,
                            std::int64_t* count, unsigned int* blocks_done, double beta1_d,
                            double beta2_d, T epsilon) {
  __shared__ T lr_t_shared;
  __shared__ std::int64_t t_shared;
  if (threadIdx.x == 0) {
    // Every block reads *count here, before its own arrival is counted below; the last block
    // writes the new count only after all blocks have arrived.
    const std::int64_t t = *count + 1;
    const double td = static_cast<double>(t);
    const double lr_t = *lr_ptr * sqrt(1.0 - pow(beta2_d, td)) / (1.0 - pow(beta1_d, td));
    lr_t_shared = static_cast<T>(lr_t);
    t_shared = t;
  }
  __syncthreads();
  const T lr_t = lr_t_shared;
  const T beta1 = static_cast<T>(beta1_d);
  const T beta2 = static_cast<T>(beta2_d);
  const T one_minus_beta1 = sub_rn(T(1), beta1);
  const T one_minus_beta2 = sub_rn(T(1), beta2);
  for (std::int64_t i = first_index(); i < n; i += grid_stride()) {
    const T g = grad[i];
    const T mi = add_rn(mul_rn(beta1, m[i]), mul_rn(one_minus_beta1, g));
    const T vi = add_rn(mul_rn(beta2, v[i]), mul_rn(one_minus_beta2, mul_rn(g, g)));
    m[i] = mi;
    v[i] = vi;
    param[i] = sub_rn(param[i], div_rn(mul_rn(lr_t, mi), add_rn(sqrt_rn(vi), epsilon)));
  }
  if (threadIdx.x == 0) {
    __threadfence();
    const unsigned int arrived = atomicAdd(blocks_done, 1u);
    if (arrived == gridDim.x - 1) {
      *count = t_shared;
      *blocks_done = 0u;  // ready for the next step
    }
  }
}

}  // namespace

template <class T>
void sgd_update(T* param, const T* grad, std::int64_t n, const double* lr, void* stream) {
  if (n <= 0) return;
  DeviceGuard guard(device_of(param));
  sgd_kernel<T>
      <<<grid_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(param, grad, n, lr);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

template <class T>
void momentum_update(T* param, const T* grad, T* accum, std::int64_t n, const double* lr,
                     T momentum, bool nesterov, void* stream) {
  if (n <= 0) return;
  DeviceGuard guard(device_of(param));
  const auto s = static_cast<cudaStream_t>(stream);
  if (nesterov) {
    momentum_kernel<T, true><<<grid_for(n), kThreads, 0, s>>>(param, grad, accum, n, lr, momentum);
  } else {
    momentum_kernel<T, false><<<grid_for(n), kThreads, 0, s>>>(param, grad, accum, n, lr, momentum);
  }
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

template <class T>
void adam_update(T* param, const T* grad, T* m, T* v, std::int64_t n, const double* lr,
                 std::int64_t* count, unsigned int* blocks_done, double beta1, double beta2,
                 T epsilon, void* stream) {
  // Even an empty buffer advances the count, as the CPU path does; one block does that.
  const unsigned grid = n > 0 ? grid_for(n) : 1u;
  DeviceGuard guard(device_of(count));
  adam_kernel<T><<<grid, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      param, grad, m, v, n, lr, count, blocks_done, beta1, beta2, epsilon);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

#define DEEPOBS_INSTANTIATE(T)                                                                     \
  template void sgd_update<T>(T*, const T*, std::int64_t, const double*, void*);                   \
  template void momentum_update<T>(T*, const T*, T*, std::int64_t, const double*, T, bool, void*); \
  template void adam_update<T>(T*, const T*, T*, T*, std::int64_t, const double*, std::int64_t*,   \
                               unsigned int*, double, double, T, void*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cuda
