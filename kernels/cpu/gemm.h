// Row-major GEMM on the CPU (the blocked kernel of gemm_blocked.h, or Eigen on CPUs without AVX2):
// C = alpha * op(A) * op(B) + beta * C, where op(X) is X
// or its transpose. Shapes after op: A is m×k, B is k×n, C is m×n; the stored A is m×k (or k×m
// when trans_a), the stored B k×n (or n×k when trans_b). All buffers are contiguous row-major.
// Large products are split into panels of C that run on the pool of kernels/cpu/parallel.h; the
// result is bit-identical to the unsplit product, so the same for any thread count; its summation
// order is gemm_blocked.h's.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, const T* b, T beta, T* c);

// out[i, j] += bias[j] for an m×n row-major matrix.
template <class T>
void add_row_bias(T* out, const T* bias, std::int64_t m, std::int64_t n);

// bias_grad[j] = sum_i g[i, j] for an m×n row-major matrix (overwrites bias_grad).
template <class T>
void column_sums(const T* g, std::int64_t m, std::int64_t n, T* bias_grad);

}  // namespace deepobs::kernels::cpu
