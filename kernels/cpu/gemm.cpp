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

// How a product is split over the pool: into panels of columns of C, each of which packs the whole
// of op(A) again, or, for narrow C, into panels of rows, each packing op(B) again. Repacking costs
// time, so there are about two panels per thread (enough to balance when another process takes a
// core away), each with at least kMinPanelMacs multiply-adds, and none when the call cannot run in
// parallel (one thread, or inside another parallel range such as the conv kernel's images).
//
// Why the split cannot change a single bit: Eigen computes a row-major product as the column-major
// Cᵀ = op(B)ᵀ·op(A)ᵀ, so C's columns are its register-blocked rows and C's rows its columns.
// Column panels start at multiples of kColAlign (3 AVX-512 float packets, a multiple of every mr
// Eigen uses) and row panels at multiples of kRowAlign (a multiple of its nr = 4), so every element
// takes the same code path, with the same k-blocking (which depends on k alone in a
// single-threaded product), as in the unsplit product. The result therefore does not depend on the
// split, and so not on the thread count (tests/cpu/test_parallel.cpp checks this bit for bit).
constexpr std::int64_t kColAlign = 48;
constexpr std::int64_t kRowAlign = 16;
constexpr std::int64_t kPanelsPerThread = 2;
// ~20 µs on one core: below this a panel is not worth a thread's wake-up.
constexpr double kMinPanelMacs = 1 << 20;

// Splits [0, extent) into `panels` spans of whole align-blocks whose sizes differ by at most one
// block (the last block may be short): span i is [begin(i), begin(i + 1)).
struct Panels {
  std::int64_t extent, align, blocks, panels;
  std::int64_t begin(std::int64_t i) const { return std::min(extent, i * blocks / panels * align); }
};

// About `want` panels of at least min_blocks blocks each; fewer than two means no split.
Panels make_panels(std::int64_t extent, std::int64_t align, std::int64_t want,
                   std::int64_t min_blocks) {
  const std::int64_t blocks = (extent + align - 1) / align;
  return {extent, align, blocks, std::max<std::int64_t>(1, std::min(want, blocks / min_blocks))};
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, const T* b, T beta, T* c) {
  const std::int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
  const double macs = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const int width = parallel_width();
  if (width < 2 || m < 2 || k == 0 || macs < 2 * kMinPanelMacs) {
    gemm_serial(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
    return;
  }
  const auto want = static_cast<std::int64_t>(
      std::min(static_cast<double>(kPanelsPerThread * width), macs / kMinPanelMacs));
  if (const Panels cols = make_panels(n, kColAlign, want, 2); cols.panels >= 2) {
    parallel_for(cols.panels, 1, [&](std::int64_t i, std::int64_t) {
      const std::int64_t first = cols.begin(i), last = cols.begin(i + 1);
      const T* b_panel = trans_b ? b + first * ldb : b + first;
      gemm_serial(trans_a, trans_b, m, last - first, k, alpha, a, lda, b_panel, ldb, beta,
                  c + first, n);
    });
    return;
  }
  if (const Panels rows = make_panels(m, kRowAlign, want, 2); rows.panels >= 2) {
    parallel_for(rows.panels, 1, [&](std::int64_t i, std::int64_t) {
      const std::int64_t first = rows.begin(i), last = rows.begin(i + 1);
      const T* a_panel = trans_a ? a + first : a + first * lda;
      gemm_serial(trans_a, trans_b, last - first, n, k, alpha, a_panel, lda, b, ldb, beta,
                  c + first * n, n);
    });
    return;
  }
  gemm_serial(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
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
