#include "kernels/cpu/gemm.h"

#include <algorithm>

#include "kernels/cpu/eigen.h"
#include "kernels/cpu/gemm_blocked.h"
#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using CMap = Eigen::Map<const RowMat<T>>;
template <class T>
using Map = Eigen::Map<RowMat<T>>;

// How a product is split over the pool: op(A) is packed once (gemm_blocked.h) and C is cut into
// panels of columns or, for narrow C, into panels of rows (whole micro-panels of op(A)); each panel
// packs its own blocks of op(B). There are about two panels per thread (enough to balance when
// another process takes a core away), each with at least kMinPanelMacs multiply-adds, and none when
// the call cannot run in parallel (one thread, or inside another parallel range such as the conv
// kernel's images). The blocked product's value of an element does not depend on how C is split
// (gemm_blocked.h), so neither does the result on the thread count (tests/cpu/test_parallel.cpp
// checks this bit for bit). Column panels start at multiples of kColAlign, a multiple of every
// B panel width the micro-kernel uses, so that no panel splits a vector tile.
constexpr std::int64_t kColAlign = 48;
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
  if (m <= 0 || n <= 0) return;
  const std::int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
  const double macs = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const int width = parallel_width();
  const PackedA<T> packed(trans_a, m, k, a, lda);
  if (width < 2 || m < 2 || k == 0 || macs < 2 * kMinPanelMacs) {
    packed.multiply(trans_b, n, alpha, b, ldb, beta, c, n);
    return;
  }
  const auto want = static_cast<std::int64_t>(
      std::min(static_cast<double>(kPanelsPerThread * width), macs / kMinPanelMacs));
  if (const Panels cols = make_panels(n, kColAlign, want, 2); cols.panels >= 2) {
    parallel_for(cols.panels, 1, [&](std::int64_t i, std::int64_t) {
      const std::int64_t first = cols.begin(i), last = cols.begin(i + 1);
      const T* b_panel = trans_b ? b + first * ldb : b + first;
      packed.multiply(trans_b, last - first, alpha, b_panel, ldb, beta, c + first, n);
    });
    return;
  }
  if (const Panels rows = make_panels(packed.panels(), 1, want, 2); rows.panels >= 2) {
    parallel_for(rows.panels, 1, [&](std::int64_t i, std::int64_t) {
      packed.multiply(rows.begin(i), rows.begin(i + 1), trans_b, n, alpha, b, ldb, beta, c, n);
    });
    return;
  }
  packed.multiply(trans_b, n, alpha, b, ldb, beta, c, n);
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
