// The built-in optimizers' update rules as fused CUDA kernels over the flat parameter buffer: one
// kernel launch per step. CUDA-free header (streams as void*); defined in optimizer_updates.cu.
//
// Same formulas, same operation order and same rounding as the CPU reference
// (kernels/cpu/optimizer_updates.h): every multiply, add, divide and square root is written with
// the round-to-nearest intrinsics (__fmul_rn, __fadd_rn, __fdiv_rn, __fsqrt_rn and the double
// forms), which the compiler never contracts into an FMA, matching the host's -ffp-contract=off.
// Given the same T scalars, SGD and momentum are therefore bit-identical to the CPU loops. Adam's
// bias-corrected step size is computed on the device from the update count (CUDA's double pow may
// differ from glibc's in the last bit, so Adam agrees to a few ulps).
//
// Graph capture: the learning rate is read from device memory (`lr`, a double the host rewrites
// between steps, deepobs_step_context::learning_rate_device) and Adam's update count lives in a
// device state slot, so every launch has the same arguments in every step.
//
// All functions enqueue on `stream` (a cudaStream_t) and return at once; pointers are device
// memory of n elements (lr, count: one element) that do not overlap; `grad` is only read. T is
// float or double. Elementwise, so the zero gaps of the flat buffer stay zero. Throw CudaError on a
// launch failure.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

// param -= T(*lr) * grad.
template <class T>
void sgd_update(T* param, const T* grad, std::int64_t n, const double* lr, void* stream);

// accum = momentum * accum + grad; param -= T(*lr) * accum, or with nesterov
// param -= T(*lr) * (grad + momentum * accum).
template <class T>
void momentum_update(T* param, const T* grad, T* accum, std::int64_t n, const double* lr,
                     T momentum, bool nesterov, void* stream);

// t = *count + 1; lr_t = T(*lr * sqrt(1 - beta2^t) / (1 - beta1^t)) (in double, as
// kernels::cpu::adam_step_size); m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g²;
// param -= lr_t * m / (sqrt(v) + epsilon); finally *count = t.
// `blocks_done` is one unsigned int of device scratch, zero before the first call (the kernel
// leaves it zero again): the last block to finish uses it to know that every block has read
// *count before it writes t there.
template <class T>
void adam_update(T* param, const T* grad, T* m, T* v, std::int64_t n, const double* lr,
                 std::int64_t* count, unsigned int* blocks_done, double beta1, double beta2,
                 T epsilon, void* stream);

}  // namespace deepobs::kernels::cuda
