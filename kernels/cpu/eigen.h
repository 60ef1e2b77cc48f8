// Eigen for the CPU kernels: every kernel file includes Eigen through this header, never directly.
// simd.h comes first so that GCC 12's false positives inside the AVX-512 intrinsics stay silenced
// when Eigen's packet code includes them.
#pragma once

#include "kernels/cpu/simd.h"

// The pool of kernels/cpu/parallel.h owns the threads; Eigen never starts its own.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>
