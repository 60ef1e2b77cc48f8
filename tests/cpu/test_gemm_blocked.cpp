// The blocked GEMM (kernels/cpu/gemm_blocked.h): values against a long-double sum for every
// transpose and every edge of the register tiles and cache blocks, alpha/beta semantics (beta = 0
// never reads C), the leading dimension of C, the split invariance that makes results independent
// of the thread count, and the BlockPacker contract (an implicit op(B), slack after the block).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/gemm_blocked.h"

namespace deepobs {
namespace {

using kernels::cpu::BlockPacker;
using kernels::cpu::gemm_blocked;
using kernels::cpu::kPackSlack;
using kernels::cpu::PackedA;
using kernels::cpu::PanelLayout;

template <class T>
std::vector<T> random_values(std::int64_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (auto& x : v)
    x = static_cast<T>(dist(gen));
  return v;
}

// op(X)[r, col] of a stored row-major matrix with leading dimension ld.
template <class T>
T at(const std::vector<T>& x, bool trans, std::int64_t ld, std::int64_t r, std::int64_t col) {
  return x[static_cast<std::size_t>(trans ? col * ld + r : r * ld + col)];
}

struct Shape {
  std::int64_t m, n, k;
};

// Row tiles of 6 or 8, column tiles of 8..48, K blocks of 256..682: these shapes hit full and
// partial tiles, one and several K blocks and column blocks (n = 1100 needs more than one
// 384 KiB block of B at any K block length), and k = 0.
const std::vector<Shape> kShapes = {
    {1, 1, 1},    {8, 48, 16},     {9, 49, 33}, {7, 17, 600}, {17, 100, 1100},
    {6, 16, 257}, {24, 1100, 300}, {3, 5, 0},   {33, 7, 513},
};

template <class T>
void check_against_reference() {
  const T eps = std::numeric_limits<T>::epsilon();
  struct Scale {
    T alpha, beta;
  };
  for (const Shape& s : kShapes) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = (t & 1) != 0, tb = (t & 2) != 0;
      const std::int64_t lda = ta ? s.m : s.k, ldb = tb ? s.k : s.n, ldc = s.n + 3;
      const auto a = random_values<T>(s.m * s.k, 1);
      const auto b = random_values<T>(s.k * s.n, 2);
      const auto c0 = random_values<T>(s.m * ldc, 3);
      for (const Scale sc : {Scale{1, 0}, Scale{T(0.5), 1}, Scale{-2, T(-0.25)}}) {
        std::vector<T> c = c0;
        gemm_blocked<T>(ta, tb, s.m, s.n, s.k, sc.alpha, a.data(), lda, b.data(), ldb, sc.beta,
                        c.data(), ldc);
        const std::string what = std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                                 std::to_string(s.k) + " ta " + std::to_string(ta) + " tb " +
                                 std::to_string(tb) + " alpha " + std::to_string(sc.alpha) +
                                 " beta " + std::to_string(sc.beta);
        for (std::int64_t i = 0; i < s.m; ++i) {
          for (std::int64_t j = 0; j < ldc; ++j) {
            const auto idx = static_cast<std::size_t>(i * ldc + j);
            if (j >= s.n) {  // outside C: untouched
              ASSERT_EQ(c[idx], c0[idx]) << what << " wrote past n at " << i << "," << j;
              continue;
            }
            long double sum = 0, magnitude = 0;
            for (std::int64_t kk = 0; kk < s.k; ++kk) {
              const long double p = static_cast<long double>(at(a, ta, lda, i, kk)) *
                                    static_cast<long double>(at(b, tb, ldb, kk, j));
              sum += p;
              magnitude += std::fabs(p);
            }
            const long double ref = static_cast<long double>(sc.alpha) * sum +
                                    static_cast<long double>(sc.beta) * c0[idx];
            // Rounding of a k-term dot product plus the alpha/beta steps.
            const long double tol =
                (static_cast<long double>(s.k) + 4) * eps *
                (std::fabs(static_cast<long double>(sc.alpha)) * magnitude +
                 std::fabs(static_cast<long double>(sc.beta) * c0[idx]) + 1e-30L);
            ASSERT_LE(std::fabs(static_cast<long double>(c[idx]) - ref), tol)
                << what << " at " << i << "," << j;
          }
        }
      }
    }
  }
}

TEST(GemmBlocked, MatchesALongDoubleSumForEveryTransposeAndEdgeFloat) {
  check_against_reference<float>();
}

TEST(GemmBlocked, MatchesALongDoubleSumForEveryTransposeAndEdgeDouble) {
  check_against_reference<double>();
}

TEST(GemmBlocked, BetaZeroNeverReadsC) {
  const std::int64_t m = 13, n = 50, k = 70;
  const auto a = random_values<float>(m * k, 4), b = random_values<float>(k * n, 5);
  std::vector<float> c(static_cast<std::size_t>(m * n), std::numeric_limits<float>::quiet_NaN());
  gemm_blocked<float>(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  for (float v : c)
    ASSERT_TRUE(std::isfinite(v));
  // k = 0: C = beta·C, and beta = 0 clears NaNs too.
  std::vector<float> d(static_cast<std::size_t>(m * n), std::numeric_limits<float>::quiet_NaN());
  gemm_blocked<float>(false, false, m, n, 0, 1.0f, a.data(), 0, b.data(), n, 0.0f, d.data(), n);
  for (float v : d)
    ASSERT_EQ(v, 0.0f);
}

// The property behind "the same bits for any thread count": computing C in column pieces (at
// offsets that are not multiples of any tile width) or in row panels gives the whole product's
// bits.
TEST(GemmBlocked, AnySplitOfCGivesTheWholeProductBitForBit) {
  const std::int64_t m = 37, n = 301, k = 777;
  for (int t = 0; t < 4; ++t) {
    const bool ta = (t & 1) != 0, tb = (t & 2) != 0;
    const std::int64_t lda = ta ? m : k, ldb = tb ? k : n;
    const auto a = random_values<float>(m * k, 6), b = random_values<float>(k * n, 7);
    const auto c0 = random_values<float>(m * n, 8);
    std::vector<float> whole = c0;
    gemm_blocked<float>(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, 0.5f, whole.data(),
                        n);
    const PackedA<float> packed(ta, m, k, a.data(), lda);
    std::vector<float> columns = c0;
    const std::int64_t cuts[] = {0, 13, 61, 62, 200, n};
    for (std::size_t i = 0; i + 1 < std::size(cuts); ++i) {
      const std::int64_t j0 = cuts[i], j1 = cuts[i + 1];
      packed.multiply(tb, j1 - j0, 0.75f, tb ? b.data() + j0 * ldb : b.data() + j0, ldb, 0.5f,
                      columns.data() + j0, n);
    }
    EXPECT_EQ(0, std::memcmp(columns.data(), whole.data(), whole.size() * sizeof(float)))
        << "column pieces, ta " << ta << " tb " << tb;
    std::vector<float> rows = c0;
    for (std::int64_t p = 0; p < packed.panels(); ++p)
      packed.multiply(p, p + 1, tb, n, 0.75f, b.data(), ldb, 0.5f, rows.data(), n);
    EXPECT_EQ(0, std::memcmp(rows.data(), whole.data(), whole.size() * sizeof(float)))
        << "row panels, ta " << ta << " tb " << tb;
  }
}

// op(B) supplied by a BlockPacker that reads a matrix through the documented layout and scribbles
// on the slack after each block: the product must equal the matrix product bit for bit.
class ScribblingPacker final : public BlockPacker<float> {
 public:
  ScribblingPacker(const std::vector<float>& b, std::int64_t n) : b_(b), n_(n) {}
  void pack(std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t nc,
            const PanelLayout& layout, float* dst) const override {
    ++calls;
    float* end = dst;
    for (std::int64_t jr = 0; jr < nc; jr += layout.panel_width) {
      const std::int64_t cols = std::min(layout.panel_width, nc - jr);
      const std::int64_t width =
          (cols + layout.vector_width - 1) / layout.vector_width * layout.vector_width;
      float* panel = dst + jr * kc;
      for (std::int64_t kk = 0; kk < kc; ++kk) {
        for (std::int64_t q = 0; q < width; ++q)
          panel[kk * width + q] =
              q < cols ? b_[static_cast<std::size_t>((k0 + kk) * n_ + j0 + jr + q)] : 0.0f;
      }
      end = panel + kc * width;
    }
    for (std::int64_t i = 0; i < kPackSlack; ++i)
      end[i] = std::numeric_limits<float>::quiet_NaN();
  }
  mutable int calls = 0;

 private:
  const std::vector<float>& b_;
  std::int64_t n_;
};

TEST(GemmBlocked, BlockPackerGivesTheMatrixProduct) {
  const std::int64_t m = 21, n = 131, k = 1030;
  const auto a = random_values<float>(m * k, 9), b = random_values<float>(k * n, 10);
  std::vector<float> expected(static_cast<std::size_t>(m * n)), got(expected.size());
  const PackedA<float> packed(false, m, k, a.data(), k);
  packed.multiply(false, n, 1.0f, b.data(), n, 0.0f, expected.data(), n);
  const ScribblingPacker packer(b, n);
  packed.multiply(n, 1.0f, packer, 0.0f, got.data(), n);
  EXPECT_GT(packer.calls, 0);
  EXPECT_EQ(0, std::memcmp(got.data(), expected.data(), got.size() * sizeof(float)));
}

}  // namespace
}  // namespace deepobs
