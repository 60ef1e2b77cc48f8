// Optimizer update rules as plain CPU loops over flat buffers: the reference that every other
// implementation (the fused CUDA kernel, plugins in the validator) is compared with.
//
// Every function updates n contiguous elements in place. `param`, `grad` and the state buffers
// (`accum`, `m`, `v`) have the same length n and do not overlap; `grad` is only read. T is float
// or double; the scalars arrive already in T so that the CPU and a GPU kernel given the same T
// scalars round identically (host code compiles with -ffp-contract=off, so no FMA is formed).
// Elementwise: an element whose parameter, gradient and state are all zero stays exactly zero
// (the gaps between FlatParameters segments rely on this). The loops run on the CPU threads of
// kernels/cpu/parallel.h when n is large; the result does not depend on the thread count.
// The formulas are TensorFlow 1.x's (SPEC Part A.7), written from their definitions.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

// Gradient descent: param -= lr * grad.
template <class T>
void sgd_update(T* param, const T* grad, std::int64_t n, T lr);

// Heavy-ball momentum in TF's form (the accumulator holds the sum of past gradients, not a
// velocity scaled by the learning rate):
//   accum = momentum * accum + grad
//   param -= lr * accum                          (nesterov == false)
//   param -= lr * (grad + momentum * accum)      (nesterov == true, with the updated accum)
template <class T>
void momentum_update(T* param, const T* grad, T* accum, std::int64_t n, T lr, T momentum,
                     bool nesterov);

// Adam with TF's epsilon placement (epsilon is added to the uncorrected sqrt(v)):
//   m = beta1 * m + (1 - beta1) * grad
//   v = beta2 * v + (1 - beta2) * grad^2
//   param -= lr_t * m / (sqrt(v) + epsilon)
// `lr_t` is the bias-corrected step size lr * sqrt(1 - beta2^t) / (1 - beta1^t) for the 1-based
// update count t, computed by the caller once per step (see adam_step_size).
template <class T>
void adam_update(T* param, const T* grad, T* m, T* v, std::int64_t n, T lr_t, T beta1, T beta2,
                 T epsilon);

// lr * sqrt(1 - beta2^t) / (1 - beta1^t) in double, for t >= 1 (t = number of this update,
// counting from 1). Powers via std::pow, not TF's running float product beta_power *= beta, so
// the value can differ from TF's in the last bits of a float; it is the same on every device.
double adam_step_size(double lr, double beta1, double beta2, std::int64_t t);

}  // namespace deepobs::kernels::cpu
