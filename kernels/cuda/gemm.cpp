#include "kernels/cuda/gemm.h"

#include <climits>
#include <stdexcept>
#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"

namespace deepobs::kernels::cuda {
namespace {

int as_blas_int(std::int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw std::invalid_argument(std::string("cuda gemm: ") + what + " = " + std::to_string(v) +
                                " is outside cuBLAS's int range");
  return static_cast<int>(v);
}

}  // namespace

void gemm(KernelContext& ctx, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
          std::int64_t k, float alpha, const float* a, const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return;
  const int mi = as_blas_int(m, "m"), ni = as_blas_int(n, "n"), ki = as_blas_int(k, "k");
  DeviceGuard guard(ctx.device());
  // Row-major X with row length ld is column-major Xᵀ with the same ld. Leading dimensions must be
  // ≥ 1 even for an empty operand (k = 0, where cuBLAS only scales C by beta).
  const int lda = trans_a ? mi : ki;  // row length of the stored A (k×m or m×k)
  const int ldb = trans_b ? ki : ni;  // row length of the stored B (n×k or k×n)
  DEEPOBS_CUBLAS_CHECK(cublasSgemm(ctx.cublas(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                   trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, ni, mi, ki, &alpha, b,
                                   ldb > 0 ? ldb : 1, a, lda > 0 ? lda : 1, &beta, c, ni));
}

}  // namespace deepobs::kernels::cuda
