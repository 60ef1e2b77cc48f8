#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/lstm_pack.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// TF gate block g (i 0, j 1, f 2, o 3) is cuDNN gate kCudnnGate[g] (i 0, f 1, g 2, o 3).
__device__ __forceinline__ int cudnn_gate(std::int64_t tf_gate) {
  return tf_gate == 1 ? 2 : (tf_gate == 2 ? 1 : static_cast<int>(tf_gate));
}

// Where element (row, col) of TF's kernel lives in cuDNN's weight space: col = gate·H + unit;
// rows < input are W[unit, row], the others R[unit, row − input].
__device__ __forceinline__ std::int64_t space_index(const LstmShape& s,
                                                    const LstmWeightOffsets& off, std::int64_t row,
                                                    std::int64_t col) {
  const std::int64_t gate = col / s.hidden, unit = col - gate * s.hidden;
  const int g = cudnn_gate(gate);
  return row < s.input ? off.w[g] + unit * s.input + row
                       : off.r[g] + unit * s.hidden + (row - s.input);
}

// One thread per kernel element, then the bias elements (index ≥ kernel size).
__global__ void pack_kernel(LstmShape s, LstmWeightOffsets off, float forget_bias,
                            const float* __restrict__ kernel, const float* __restrict__ bias,
                            float* __restrict__ space) {
  const std::int64_t cols = 4 * s.hidden, kernel_n = (s.input + s.hidden) * cols;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       e < kernel_n + cols; e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    if (e < kernel_n) {
      const std::int64_t row = e / cols, col = e - row * cols;
      space[space_index(s, off, row, col)] = kernel[e];
    } else {
      const std::int64_t col = e - kernel_n, gate = col / s.hidden, unit = col - gate * s.hidden;
      const float add = gate == 2 ? forget_bias : 0.0f;
      space[off.b[cudnn_gate(gate)] + unit] = __fadd_rn(bias[col], add);
    }
  }
}

__global__ void unpack_kernel(LstmShape s, LstmWeightOffsets off, const float* __restrict__ space,
                              float* __restrict__ dkernel, float* __restrict__ dbias) {
  const std::int64_t cols = 4 * s.hidden, kernel_n = (s.input + s.hidden) * cols;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       e < kernel_n + cols; e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    if (e < kernel_n) {
      const std::int64_t row = e / cols, col = e - row * cols;
      dkernel[e] = space[space_index(s, off, row, col)];
    } else {
      const std::int64_t col = e - kernel_n, gate = col / s.hidden, unit = col - gate * s.hidden;
      dbias[col] = space[off.b[cudnn_gate(gate)] + unit];
    }
  }
}

}  // namespace

void lstm_pack_weights(KernelContext& ctx, const LstmShape& s, const LstmWeightOffsets& off,
                       float forget_bias, const float* kernel, const float* bias,
                       float* weight_space) {
  const std::int64_t n = (s.input + s.hidden + 1) * 4 * s.hidden;
  DeviceGuard guard(ctx.device());
  pack_kernel<<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(s, off, forget_bias, kernel,
                                                                    bias, weight_space);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

void lstm_unpack_gradients(KernelContext& ctx, const LstmShape& s, const LstmWeightOffsets& off,
                           const float* dweight_space, float* dkernel, float* dbias) {
  const std::int64_t n = (s.input + s.hidden + 1) * 4 * s.hidden;
  DeviceGuard guard(ctx.device());
  unpack_kernel<<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(s, off, dweight_space,
                                                                      dkernel, dbias);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
