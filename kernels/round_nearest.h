// Correctly rounded arithmetic that is never contracted into an FMA, for code shared by the CUDA
// kernels and the CPU (DEEPOBS_HD): the CUDA round-to-nearest intrinsics on the device, plain
// operators on the host (built with -ffp-contract=off). With them a device function performs the
// CPU code's operations with the CPU's roundings, so both give the same bits: the Philox variates,
// the optimizer updates, pooling and resize rely on this.
#pragma once

#include <cmath>

#include "kernels/hd.h"

namespace deepobs::kernels {

#if defined(__CUDA_ARCH__)
#define DEEPOBS_RN_OP(name, type, device_op, host_expr) \
  DEEPOBS_HD inline type name(type a, type b) {         \
    return device_op(a, b);                             \
  }
#else
#define DEEPOBS_RN_OP(name, type, device_op, host_expr) \
  DEEPOBS_HD inline type name(type a, type b) {         \
    return host_expr;                                   \
  }
#endif
DEEPOBS_RN_OP(add_rn, float, __fadd_rn, a + b)
DEEPOBS_RN_OP(sub_rn, float, __fsub_rn, a - b)
DEEPOBS_RN_OP(mul_rn, float, __fmul_rn, a* b)
DEEPOBS_RN_OP(div_rn, float, __fdiv_rn, a / b)
DEEPOBS_RN_OP(add_rn, double, __dadd_rn, a + b)
DEEPOBS_RN_OP(sub_rn, double, __dsub_rn, a - b)
DEEPOBS_RN_OP(mul_rn, double, __dmul_rn, a* b)
DEEPOBS_RN_OP(div_rn, double, __ddiv_rn, a / b)
#undef DEEPOBS_RN_OP

// IEEE-754 requires sqrt to be correctly rounded, so the library call is a basic operation.
DEEPOBS_HD inline float sqrt_rn(float a) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}
DEEPOBS_HD inline double sqrt_rn(double a) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}

}  // namespace deepobs::kernels
