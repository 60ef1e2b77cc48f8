#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/fill.h"

namespace deepobs::kernels::cuda {
namespace {

__global__ void fill_kernel(float* __restrict__ data, std::int64_t n, float value) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    data[i] = value;
}

}  // namespace

void fill_f32(float* data, std::int64_t n, float value, void* stream) {
  if (n <= 0) return;
  DeviceGuard guard(device_of(data));
  constexpr int kThreads = 256;
  const std::int64_t blocks = (n + kThreads - 1) / kThreads;
  const unsigned grid = static_cast<unsigned>(blocks < 65535 ? blocks : 65535);
  fill_kernel<<<grid, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(data, n, value);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
