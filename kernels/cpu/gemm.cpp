#include "kernels/cpu/gemm.h"

#include <algorithm>

#include "kernels/cpu/eigen.h"
#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using CMap = Eigen::Map<const RowMat<T>>;
template <class T>
using Map = Eigen::Map<RowMat<T>>;

// One single-threaded Eigen product C = alpha·op(A)·op(B) + beta·C.
template <class T>
void gemm_serial(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                 T alpha, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
                 std::int64_t ldc) {
  using Stride = Eigen::OuterStride<>;
  Eigen::Map<RowMat<T>, 0, Stride> C(c, m, n, Stride(ldc));
  if (beta == T(0)) {
    C.setZero();
  } else if (beta != T(1)) {
    C *= beta;
  }
  if (k == 0) return;
  const Eigen::Map<const RowMat<T>, 0, Stride> A(a, trans_a ? k : m, trans_a ? m : k, Stride(lda));
  const Eigen::Map<const RowMat<T>, 0, Stride> B(b, trans_b ? n : k, trans_b ? k : n, Stride(ldb));
  // noalias(): C never overlaps A or B, so Eigen may write the product straight into C.
  if (!trans_a && !trans_b) C.noalias() += alpha * A * B;
  if (trans_a && !trans_b) C.noalias() += alpha * A.transpose() * B;
  if (!trans_a && trans_b) C.noalias() += alpha * A * B.transpose();
  if (trans_a && trans_b) C.noalias() += alpha * A.transpose() * B.transpose();
}

// How a product is split over the pool: into panels of columns of C (each packs the whole of op(A)
// again, so panels are at least kMinPanelCols wide) or, for narrow C, of rows (each packs op(B)
// again). Eigen computes a row-major product as the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so C's
// columns are its register-blocked rows: panel edges at multiples of kColAlign (3 AVX-512 float
// packets, a multiple of every mr Eigen uses) and of kRowAlign (a multiple of its nr = 4) leave
// every element on the same code path, with the same k-blocking (which depends on k alone in a
// single-threaded product), as in the unsplit product. So the result does not depend on the
// split, let alone on the thread count.
constexpr std::int64_t kColAlign = 48;
constexpr std::int64_t kMinPanelCols = 4 * kColAlign;
constexpr std::int64_t kRowAlign = 16;
constexpr std::int64_t kMinPanelRows = 2 * kRowAlign;
// Multiply-adds per panel: ~50–100 µs on one core, so a panel handed to another thread is worth
// its wake-up.
constexpr double kPanelMacs = 4.0 * (1 << 20);

std::int64_t round_up(std::int64_t v, std::int64_t to) {
  return (v + to - 1) / to * to;
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, const T* b, T beta, T* c) {
  const std::int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
  const double macs = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (m < 2 || k == 0 || macs < 2 * kPanelMacs) {
    gemm_serial(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
    return;
  }
  const auto per_col = static_cast<double>(m) * static_cast<double>(k);
  const std::int64_t cols =
      std::max(kMinPanelCols, round_up(static_cast<std::int64_t>(kPanelMacs / per_col), kColAlign));
  if (n >= 2 * cols) {
    parallel_for(n, cols, [&](std::int64_t first, std::int64_t last) {
      const T* b_panel = trans_b ? b + first * ldb : b + first;
      gemm_serial(trans_a, trans_b, m, last - first, k, alpha, a, lda, b_panel, ldb, beta,
                  c + first, n);
    });
    return;
  }
  const auto per_row = static_cast<double>(n) * static_cast<double>(k);
  const std::int64_t rows =
      std::max(kMinPanelRows, round_up(static_cast<std::int64_t>(kPanelMacs / per_row), kRowAlign));
  parallel_for(m, rows, [&](std::int64_t first, std::int64_t last) {
    const T* a_panel = trans_a ? a + first : a + first * lda;
    gemm_serial(trans_a, trans_b, last - first, n, k, alpha, a_panel, lda, b, ldb, beta,
                c + first * n, n);
  });
}

template <class T>
void add_row_bias(T* out, const T* bias, std::int64_t m, std::int64_t n) {
  Map<T> O(out, m, n);
  const Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> b(bias, n);
  O.rowwise() += b;
}

template <class T>
void column_sums(const T* g, std::int64_t m, std::int64_t n, T* bias_grad) {
  Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> out(bias_grad, n);
  out = CMap<T>(g, m, n).colwise().sum();
}

#define DEEPOBS_INSTANTIATE(T)                                                             \
  template void gemm<T>(bool, bool, std::int64_t, std::int64_t, std::int64_t, T, const T*, \
                        const T*, T, T*);                                                  \
  template void add_row_bias<T>(T*, const T*, std::int64_t, std::int64_t);                 \
  template void column_sums<T>(const T*, std::int64_t, std::int64_t, T*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
