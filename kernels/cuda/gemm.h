// Row-major GEMM on a CUDA device through cuBLAS, and the two bias helpers of a dense layer.
// CUDA-free header: pointers are device pointers passed as float*.
//
// gemm has the contract of kernels/cpu/gemm.h for float: C = alpha·op(A)·op(B) + beta·C with
// op(A) m×k, op(B) k×n, C m×n, all contiguous row-major (stored A is k×m when trans_a, stored B is
// n×k when trans_b). cuBLAS is column-major, so the call computes Cᵀ = op(B)ᵀ·op(A)ᵀ, whose
// column-major result is C in row-major order: no copies or transposes. TF32 is used only when the
// context's policies allow it (the context sets the handle's math mode). All work runs on the
// context's stream; every function returns without waiting for it.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

class KernelContext;

// Throws CudaError on a cuBLAS failure, and std::invalid_argument naming the dimension when one
// exceeds cuBLAS's int range.
void gemm(KernelContext& ctx, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
          std::int64_t k, float alpha, const float* a, const float* b, float beta, float* c);

// out[i, j] += bias[j] for an m×n row-major matrix (out and bias on the device).
void add_row_bias(KernelContext& ctx, float* out, const float* bias, std::int64_t m,
                  std::int64_t n);

// bias_grad[j] = Σ_i g[i, j] for an m×n row-major matrix (overwrites bias_grad). Deterministic:
// each column is summed in double by a fixed set of lanes, then combined by a fixed tree, so
// reruns give identical bits (no atomics).
void column_sums(KernelContext& ctx, const float* g, std::int64_t m, std::int64_t n,
                 float* bias_grad);

}  // namespace deepobs::kernels::cuda
