// The CPU GEMM's engine: a packed, cache-blocked product with a register-blocked micro-kernel of
// our own for AVX-512 (8 rows × up to 48 float / 24 double columns) and AVX2+FMA (6 rows × up to
// 16 float / 8 double columns), in the style of BLIS/GotoBLAS: op(A) is packed into panels of MR
// rows, op(B) into panels of NR columns, and each MR×NR tile of C is accumulated in registers.
// Builds for other CPUs (no AVX2+FMA) run the same calls through Eigen.
//
// Summation order, and why results do not depend on the thread count, on how C is split, or on
// AVX2 vs AVX-512: K is cut into blocks whose bounds depend on K alone (at most 512 floats or 256
// doubles long, as equal as possible).
// Every element c of C is computed as
//   s_b = fma(a[i,k_last], b[k_last,j], … fma(a[i,k_first], b[k_first,j], 0))   for each block b,
//   c = beta·c + alpha·s_0, then c = c + alpha·s_b for b = 1, 2, … in order
// (alpha·s skipped when alpha = 1, beta·c when beta = 1, c not read when beta = 0). Tiles at the
// edges of C compute exactly the same operations (padded lanes are discarded), so an element's
// value depends only on its row of op(A), its column of op(B), K, alpha and beta: any split of C
// into row or column panels gives the unsplit product bit for bit.
//
// Layouts: all matrices row-major with leading dimensions (elements between rows); op(A) is m×k,
// op(B) k×n, C m×n; C never overlaps A or B.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace deepobs::kernels::cpu {

// How the micro-kernel wants a block of op(B) (rows [k0, k0 + kc), columns [j0, j0 + nc)) laid
// out: in panels of panel_width columns, panel p (columns j0 + p·panel_width …) starting at
// p·panel_width·kc, each panel row-major [kc][width] where width is panel_width, or for a last,
// narrower panel its column count rounded up to vector_width, the extra columns zero.
struct PanelLayout {
  std::int64_t panel_width = 1;
  std::int64_t vector_width = 1;
};

// Writable elements after every block a BlockPacker fills: pack() may write up to this many values
// past the block (a packer that copies in whole vector chunks), which the GEMM ignores.
inline constexpr std::int64_t kPackSlack = 16;

// A source of op(B) that writes blocks straight into the PanelLayout: an implicit matrix (a conv's
// im2col columns read from the image) needs no materialised copy. pack() must write every value of
// the block, padding included, in increasing address order of the panel rows (a chunked copy may
// spill into the next row before that row is written); it may run on several threads at once.
template <class T>
class BlockPacker {
 public:
  virtual ~BlockPacker() = default;
  virtual void pack(std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t nc,
                    const PanelLayout& layout, T* dst) const = 0;
};

// Calls panel_fn(first_column, cols, width, panel) for every panel of a block of kc rows and nc
// columns in `layout` (first_column relative to the block, `panel` where the panel starts in dst):
// the loop every BlockPacker runs.
template <class T, class PanelFn>
void for_each_panel(const PanelLayout& layout, std::int64_t kc, std::int64_t nc, T* dst,
                    PanelFn&& panel_fn) {
  for (std::int64_t jr = 0; jr < nc; jr += layout.panel_width) {
    const std::int64_t cols = std::min(layout.panel_width, nc - jr);
    const std::int64_t width =
        (cols + layout.vector_width - 1) / layout.vector_width * layout.vector_width;
    panel_fn(jr, cols, width, dst + jr * kc);
  }
}

// True when this build has the register-blocked micro-kernel (AVX2+FMA or AVX-512F); when false,
// the products below run through Eigen (single-threaded, same interface).
bool gemm_blocked_kernel_built();

// op(A) packed once into the micro-kernel's layout, for several products with the same A (a conv's
// filter over every image of a batch, a dense layer's input over column panels of C). Immutable
// after construction, so threads may share it. Without the micro-kernel it keeps a pointer to the
// caller's A instead (which must then outlive it).
template <class T>
class PackedA {
 public:
  // op(A) is m×k; the stored A is m×k (k×m when trans_a) with leading dimension lda. Packing runs
  // on the pool of kernels/cpu/parallel.h when it is large and the caller is not inside a range.
  PackedA(bool trans_a, std::int64_t m, std::int64_t k, const T* a, std::int64_t lda);

  std::int64_t rows() const { return m_; }
  std::int64_t depth() const { return k_; }
  // Row panels (of the micro-kernel's MR rows; one panel holds all rows in the Eigen build).
  std::int64_t panels() const;
  std::int64_t panel_rows() const;

  // C[m×n] (ldc) = alpha·op(A)·op(B) + beta·C for row panels [panel_begin, panel_end) of op(A) (C
  // points at row 0 of op(A)'s C, so the same c serves every split); op(B) is k×n, the stored B k×n
  // (n×k when trans_b) with leading dimension ldb. Single-threaded.
  void multiply(std::int64_t panel_begin, std::int64_t panel_end, bool trans_b, std::int64_t n,
                T alpha, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) const;
  void multiply(bool trans_b, std::int64_t n, T alpha, const T* b, std::int64_t ldb, T beta, T* c,
                std::int64_t ldc) const {
    multiply(0, panels(), trans_b, n, alpha, b, ldb, beta, c, ldc);
  }
  // The same with op(B) (k×n) supplied block by block by `b`.
  void multiply(std::int64_t panel_begin, std::int64_t panel_end, std::int64_t n, T alpha,
                const BlockPacker<T>& b, T beta, T* c, std::int64_t ldc) const;
  void multiply(std::int64_t n, T alpha, const BlockPacker<T>& b, T beta, T* c,
                std::int64_t ldc) const {
    multiply(0, panels(), n, alpha, b, beta, c, ldc);
  }

 private:
  std::int64_t m_ = 0, k_ = 0;
  // [k block][row panel][k within the block][MR], rows past m zero. Not value-initialised:
  // packing writes every element, and a conv packs one A per image.
  std::unique_ptr<T[]> packed_;
  // The Eigen build's view of the caller's A.
  bool trans_a_ = false;
  const T* a_ = nullptr;
  std::int64_t lda_ = 0;
};

// C[m×n] (ldc) = alpha·op(A)·op(B) + beta·C, single-threaded; the summation order above.
template <class T>
void gemm_blocked(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                  T alpha, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
                  std::int64_t ldc);

}  // namespace deepobs::kernels::cpu
