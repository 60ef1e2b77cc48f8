// Correctly rounded single-precision arithmetic that is never contracted into an FMA, for code
// shared by the CUDA kernels and the CPU (DEEPOBS_HD): the CUDA intrinsics on the device, plain
// operators on the host (built with -ffp-contract=off). With them a device function performs the
// CPU kernel's operations with the CPU's roundings, so both give the same bits.
#pragma once

#include "kernels/hd.h"

namespace deepobs::kernels::cuda {

DEEPOBS_HD inline float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
DEEPOBS_HD inline float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
DEEPOBS_HD inline float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
DEEPOBS_HD inline float div_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

}  // namespace deepobs::kernels::cuda
