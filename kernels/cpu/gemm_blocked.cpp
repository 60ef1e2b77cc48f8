#include "kernels/cpu/gemm_blocked.h"

#include <algorithm>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd.h"

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define DEEPOBS_GEMM_MICROKERNEL 1
#else
#define DEEPOBS_GEMM_MICROKERNEL 0
#include "kernels/cpu/eigen.h"
#endif

namespace deepobs::kernels::cpu {

bool gemm_blocked_kernel_built() {
  return DEEPOBS_GEMM_MICROKERNEL != 0;
}

#if DEEPOBS_GEMM_MICROKERNEL
namespace {

// One SIMD register of T and the operations the micro-kernel needs.
template <class T>
struct Simd;

#if defined(__AVX512F__)
// 32 zmm registers: 8 rows × 3 vectors = 24 accumulators, 3 for a row of B, 1 for a broadcast.
constexpr int kMR = 8;
constexpr int kMaxVectors = 3;
template <>
struct Simd<float> {
  using V = __m512;
  static constexpr int kWidth = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
};
template <>
struct Simd<double> {
  using V = __m512d;
  static constexpr int kWidth = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V set1(double x) { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
};
#else
// 16 ymm registers: 6 rows × 2 vectors = 12 accumulators, 2 for a row of B, 1 for a broadcast.
constexpr int kMR = 6;
constexpr int kMaxVectors = 2;
template <>
struct Simd<float> {
  using V = __m256;
  static constexpr int kWidth = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
};
template <>
struct Simd<double> {
  using V = __m256d;
  static constexpr int kWidth = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V set1(double x) { return _mm256_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
};
#endif

// Columns of a full B panel.
template <class T>
constexpr std::int64_t kNR = kMaxVectors* Simd<T>::kWidth;

// K blocks of at most 2 KiB of A values per row (512 float, 256 double): an A micro-panel (MR ×
// kc, 12–16 KiB) stays in the 32+ KiB L1 cache while it meets every B panel of the block. The
// bound is the same for the AVX2 and the AVX-512 kernel, and every element's sum is the same chain
// of FMAs in either, so the two builds give identical products.
template <class T>
constexpr std::int64_t kKcMax = 2048 / static_cast<std::int64_t>(sizeof(T));

struct KBlocks {
  std::int64_t k, count, size;  // block b is [b·size, min(k, (b + 1)·size))
  std::int64_t begin(std::int64_t b) const { return b * size; }
  std::int64_t length(std::int64_t b) const { return std::min(k, (b + 1) * size) - b * size; }
};

template <class T>
KBlocks k_blocks(std::int64_t k) {
  const std::int64_t count = std::max<std::int64_t>(1, (k + kKcMax<T> - 1) / kKcMax<T>);
  return {k, count, (k + count - 1) / count};
}

// Columns of C per packed B block: kc × nc values of B (~384 KiB) stay in the L2 cache while
// every A micro-panel passes over them.
template <class T>
std::int64_t nc_for(std::int64_t kc) {
  constexpr std::int64_t kBlockBytes = 384 * 1024;
  const std::int64_t cols = kBlockBytes / (std::max<std::int64_t>(kc, 1) * sizeof(T));
  return std::max(kNR<T>, cols / kNR<T> * kNR<T>);
}

std::int64_t round_up(std::int64_t x, std::int64_t to) {
  return (x + to - 1) / to * to;
}

// One A micro-panel: dst[kk·MR + r] = op(A)[i0 + r, k0 + kk], rows past `rows` zero.
template <class T>
void pack_a_panel(bool trans_a, const T* a, std::int64_t lda, std::int64_t i0, std::int64_t rows,
                  std::int64_t k0, std::int64_t kc, T* __restrict dst) {
  for (std::int64_t kk = 0; kk < kc; ++kk) {
    T* out = dst + kk * kMR;
    if (trans_a) {
      const T* src = a + (k0 + kk) * lda + i0;
      for (std::int64_t r = 0; r < rows; ++r)
        out[r] = src[r];
    } else {
      const T* src = a + i0 * lda + k0 + kk;
      for (std::int64_t r = 0; r < rows; ++r)
        out[r] = src[r * lda];
    }
    for (std::int64_t r = rows; r < kMR; ++r)
      out[r] = T(0);
  }
}

// op(B) stored as a matrix (k×n, or n×k when trans_b, leading dimension ldb).
template <class T>
class MatrixPacker final : public BlockPacker<T> {
 public:
  MatrixPacker(bool trans_b, const T* b, std::int64_t ldb) : trans_b_(trans_b), b_(b), ldb_(ldb) {}
  void pack(std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t nc,
            const PanelLayout& layout, T* dst) const override;

 private:
  bool trans_b_;
  const T* b_;
  std::int64_t ldb_;
};

template <class T>
void MatrixPacker<T>::pack(std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t nc,
                           const PanelLayout& layout, T* dst) const {
  for_each_panel(layout, kc, nc, dst,
                 [&](std::int64_t jr, std::int64_t cols, std::int64_t width, T* __restrict panel) {
                   if (!trans_b_) {
                     for (std::int64_t kk = 0; kk < kc; ++kk) {
                       const T* src = b_ + (k0 + kk) * ldb_ + j0 + jr;
                       T* out = panel + kk * width;
                       for (std::int64_t q = 0; q < cols; ++q)
                         out[q] = src[q];
                       for (std::int64_t q = cols; q < width; ++q)
                         out[q] = T(0);
                     }
                     return;
                   }
                   // A transpose, in strips of kStrip rows of the panel: the strip's lines (kStrip
                   // × width values) stay in L1 while every column fills its kStrip values from one
                   // contiguous run of B's row.
                   constexpr std::int64_t kStrip = 16;
                   for (std::int64_t k1 = 0; k1 < kc; k1 += kStrip) {
                     const std::int64_t rows = std::min(kStrip, kc - k1);
                     T* strip = panel + k1 * width;
                     for (std::int64_t q = 0; q < cols; ++q) {
                       const T* src = b_ + (j0 + jr + q) * ldb_ + k0 + k1;
                       // The next strip's run of this row: B's rows are far apart (a dense layer's
                       // weight), so the hardware prefetcher does not see these as streams.
                       __builtin_prefetch(src + 2 * kStrip);
                       for (std::int64_t t = 0; t < rows; ++t)
                         strip[t * width + q] = src[t];
                     }
                     for (std::int64_t t = 0; t < rows; ++t)
                       for (std::int64_t q = cols; q < width; ++q)
                         strip[t * width + q] = T(0);
                   }
                 });
}

// c = beta·c + alpha·acc on an MR × NV·W tile at c (leading dimension ldc), as the header states.
template <class T, int NV>
[[gnu::always_inline]] inline void update_tile(const typename Simd<T>::V (&acc)[kMR][NV], T* c,
                                               std::int64_t ldc, T alpha, T beta) {
  using S = Simd<T>;
  const typename S::V va = S::set1(alpha), vb = S::set1(beta);
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const typename S::V t = alpha == T(1) ? acc[r][v] : S::mul(acc[r][v], va);
      T* p = c + r * ldc + v * S::kWidth;
      if (beta == T(0)) {
        S::store(p, t);
      } else if (beta == T(1)) {
        S::store(p, S::add(S::load(p), t));
      } else {
        S::store(p, S::add(S::mul(S::load(p), vb), t));
      }
    }
  }
}

// One MR × NV·W tile of C over one K block: ap is an A micro-panel [kc][MR], bp a B panel
// [kc][NV·W]. Only the first `rows` × `cols` of the tile are written; a partial tile goes through
// a local copy so that its elements see exactly the operations of a full tile.
template <class T, int NV>
void tile(std::int64_t kc, const T* __restrict ap, const T* __restrict bp, T* c, std::int64_t ldc,
          std::int64_t rows, std::int64_t cols, T alpha, T beta) {
  using S = Simd<T>;
  using V = typename S::V;
  constexpr int kW = S::kWidth, kCols = NV * kW;
  V acc[kMR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      acc[r][v] = S::zero();
  }
  for (std::int64_t kk = 0; kk < kc; ++kk) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      bv[v] = S::load(bp + v * kW);
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r) {
      const V a = S::set1(ap[r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v)
        acc[r][v] = S::fma(a, bv[v], acc[r][v]);
    }
    ap += kMR;
    bp += kCols;
  }
  if (rows == kMR && cols == kCols) {
    update_tile<T, NV>(acc, c, ldc, alpha, beta);
    return;
  }
  alignas(64) T part[kMR * kCols] = {};
  if (beta != T(0)) {
    for (std::int64_t r = 0; r < rows; ++r)
      std::copy(c + r * ldc, c + r * ldc + cols, part + r * kCols);
  }
  update_tile<T, NV>(acc, part, kCols, alpha, beta);
  for (std::int64_t r = 0; r < rows; ++r)
    std::copy(part + r * kCols, part + r * kCols + cols, c + r * ldc);
}

template <class T>
void tile_of_width(std::int64_t vectors, std::int64_t kc, const T* ap, const T* bp, T* c,
                   std::int64_t ldc, std::int64_t rows, std::int64_t cols, T alpha, T beta) {
  if (vectors == 1) {
    tile<T, 1>(kc, ap, bp, c, ldc, rows, cols, alpha, beta);
  } else if (vectors == 2 || kMaxVectors == 2) {
    tile<T, 2>(kc, ap, bp, c, ldc, rows, cols, alpha, beta);
  } else {
    tile<T, kMaxVectors>(kc, ap, bp, c, ldc, rows, cols, alpha, beta);
  }
}

// Growable per-thread buffer for packed B blocks (kept between calls: the pool keeps its threads).
template <class T>
T* b_scratch(std::int64_t n) {
  thread_local std::vector<T> buffer;
  if (static_cast<std::int64_t>(buffer.size()) < n) buffer.resize(static_cast<std::size_t>(n));
  return buffer.data();
}

}  // namespace

template <class T>
PackedA<T>::PackedA(bool trans_a, std::int64_t m, std::int64_t k, const T* a, std::int64_t lda)
    : m_(std::max<std::int64_t>(m, 0)), k_(std::max<std::int64_t>(k, 0)) {
  if (m_ == 0 || k_ == 0) return;
  const KBlocks blocks = k_blocks<T>(k_);
  const std::int64_t np = panels(), m_pad = np * kMR;
  packed_ = std::make_unique_for_overwrite<T[]>(static_cast<std::size_t>(k_ * m_pad));
  T* out = packed_.get();
  parallel_for(blocks.count * np, grain_for_work(static_cast<double>(kMR * blocks.size)),
               [&](std::int64_t first, std::int64_t last) {
                 for (std::int64_t idx = first; idx < last; ++idx) {
                   const std::int64_t blk = idx / np, p = idx % np;
                   const std::int64_t k0 = blocks.begin(blk), kc = blocks.length(blk);
                   pack_a_panel(trans_a, a, lda, p * kMR, std::min<std::int64_t>(kMR, m_ - p * kMR),
                                k0, kc, out + k0 * m_pad + p * kMR * kc);
                 }
               });
}

template <class T>
std::int64_t PackedA<T>::panels() const {
  return (m_ + kMR - 1) / kMR;
}

template <class T>
std::int64_t PackedA<T>::panel_rows() const {
  return kMR;
}

template <class T>
void PackedA<T>::multiply(std::int64_t panel_begin, std::int64_t panel_end, bool trans_b,
                          std::int64_t n, T alpha, const T* b, std::int64_t ldb, T beta, T* c,
                          std::int64_t ldc) const {
  multiply(panel_begin, panel_end, n, alpha, MatrixPacker<T>(trans_b, b, ldb), beta, c, ldc);
}

template <class T>
void PackedA<T>::multiply(std::int64_t panel_begin, std::int64_t panel_end, std::int64_t n, T alpha,
                          const BlockPacker<T>& b, T beta, T* c, std::int64_t ldc) const {
  panel_end = std::min(panel_end, panels());
  if (panel_begin >= panel_end || n <= 0) return;
  if (k_ == 0) {  // C = beta·C (alpha·op(A)·op(B) is empty)
    for (std::int64_t i = panel_begin * kMR; i < std::min(m_, panel_end * kMR); ++i) {
      for (std::int64_t j = 0; j < n; ++j)
        c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    }
    return;
  }
  const PanelLayout layout{kNR<T>, Simd<T>::kWidth};
  const KBlocks blocks = k_blocks<T>(k_);
  const std::int64_t m_pad = panels() * kMR, nc_max = nc_for<T>(blocks.size);
  T* b_packed = b_scratch<T>(blocks.size * round_up(nc_max, kNR<T>) + kPackSlack);
  for (std::int64_t jc = 0; jc < n; jc += nc_max) {
    const std::int64_t nc = std::min(nc_max, n - jc);
    for (std::int64_t blk = 0; blk < blocks.count; ++blk) {
      const std::int64_t k0 = blocks.begin(blk), kc = blocks.length(blk);
      b.pack(k0, kc, jc, nc, layout, b_packed);
      const T beta_block = blk == 0 ? beta : T(1);
      const T* a_block = packed_.get() + k0 * m_pad;
      for (std::int64_t p = panel_begin; p < panel_end; ++p) {
        const std::int64_t rows = std::min<std::int64_t>(kMR, m_ - p * kMR);
        T* c_panel = c + p * kMR * ldc + jc;
        for (std::int64_t jr = 0; jr < nc; jr += kNR<T>) {
          const std::int64_t cols = std::min(kNR<T>, nc - jr);
          tile_of_width<T>((cols + Simd<T>::kWidth - 1) / Simd<T>::kWidth, kc,
                           a_block + p * kMR * kc, b_packed + jr * kc, c_panel + jr, ldc, rows,
                           cols, alpha, beta_block);
        }
      }
    }
  }
}

#else  // no AVX2+FMA: Eigen's product

namespace {
template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace

template <class T>
PackedA<T>::PackedA(bool trans_a, std::int64_t m, std::int64_t k, const T* a, std::int64_t lda)
    : m_(std::max<std::int64_t>(m, 0)),
      k_(std::max<std::int64_t>(k, 0)),
      trans_a_(trans_a),
      a_(a),
      lda_(lda) {}

template <class T>
std::int64_t PackedA<T>::panels() const {
  return m_ > 0 ? 1 : 0;
}

template <class T>
std::int64_t PackedA<T>::panel_rows() const {
  return m_;
}

template <class T>
void PackedA<T>::multiply(std::int64_t panel_begin, std::int64_t panel_end, bool trans_b,
                          std::int64_t n, T alpha, const T* b, std::int64_t ldb, T beta, T* c,
                          std::int64_t ldc) const {
  if (panel_begin >= std::min(panel_end, panels()) || n <= 0) return;
  using Stride = Eigen::OuterStride<>;
  Eigen::Map<RowMat<T>, 0, Stride> C(c, m_, n, Stride(ldc));
  if (beta == T(0)) {
    C.setZero();
  } else if (beta != T(1)) {
    C *= beta;
  }
  if (k_ == 0) return;
  const Eigen::Map<const RowMat<T>, 0, Stride> A(a_, trans_a_ ? k_ : m_, trans_a_ ? m_ : k_,
                                                 Stride(lda_));
  const Eigen::Map<const RowMat<T>, 0, Stride> B(b, trans_b ? n : k_, trans_b ? k_ : n,
                                                 Stride(ldb));
  // noalias(): C never overlaps A or B, so Eigen may write the product straight into C.
  if (!trans_a_ && !trans_b) C.noalias() += alpha * A * B;
  if (trans_a_ && !trans_b) C.noalias() += alpha * A.transpose() * B;
  if (!trans_a_ && trans_b) C.noalias() += alpha * A * B.transpose();
  if (trans_a_ && trans_b) C.noalias() += alpha * A.transpose() * B.transpose();
}

template <class T>
void PackedA<T>::multiply(std::int64_t panel_begin, std::int64_t panel_end, std::int64_t n, T alpha,
                          const BlockPacker<T>& b, T beta, T* c, std::int64_t ldc) const {
  if (panel_begin >= std::min(panel_end, panels()) || n <= 0) return;
  // One panel as wide as op(B): the "packed" block is op(B) itself, row-major.
  thread_local std::vector<T> whole;
  whole.resize(static_cast<std::size_t>(k_ * n + kPackSlack));
  if (k_ > 0) b.pack(0, k_, 0, n, PanelLayout{n, 1}, whole.data());
  multiply(panel_begin, panel_end, false, n, alpha, whole.data(), n, beta, c, ldc);
}

#endif

template <class T>
void gemm_blocked(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                  T alpha, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
                  std::int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  PackedA<T>(trans_a, m, k, a, lda).multiply(trans_b, n, alpha, b, ldb, beta, c, ldc);
}

template class PackedA<float>;
template class PackedA<double>;
template void gemm_blocked<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float,
                                  const float*, std::int64_t, const float*, std::int64_t, float,
                                  float*, std::int64_t);
template void gemm_blocked<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                                   const double*, std::int64_t, const double*, std::int64_t, double,
                                   double*, std::int64_t);

}  // namespace deepobs::kernels::cpu
