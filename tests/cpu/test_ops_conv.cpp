#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/conv.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/parallel.h"
#include "tests/common/expect_error.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

using kernels::cpu::ConvGeometry;
using ops::Padding2d;
using ops::PaddingMode;
using testing::random_tensor;

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol,
                     const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tol) << what << " at " << i;
}

// ---- hand-computed values ----

// x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]]: y[p][q] = x[p][q] + 2x[p][q+1] + 3x[p+1][q] +
// 4x[p+1][q+1], e.g. y[0][0] = 1 + 4 + 12 + 20 = 37.
TEST(OpsConv, Conv2dHandComputedValid) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor w = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor b = Tensor::from_vector<float>({0.5f}, {1});
  const Tensor y = ops::conv2d(x, w, b, 1, 1, PaddingMode::kValid);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f}));
}

// 'same' with k = 2, s = 1 pads 0 before and 1 after: the last row/column see zeros, e.g.
// y[0][2] = 1·3 + 3·6 = 21, y[2][0] = 1·7 + 2·8 = 23, y[2][2] = 9.
TEST(OpsConv, Conv2dHandComputedSame) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor w = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor y = ops::conv2d(x, w, Tensor(), 1, 1, PaddingMode::kSame);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{37, 47, 21, 67, 77, 33, 23, 26, 9}));
  // Stride 2 'same' on 3: out 2, total = 1·2 + 2 − 3 = 1 (after): y = [[37, 21], [23, 9]].
  const Tensor y2 = ops::conv2d(x, w, Tensor(), 2, 2, PaddingMode::kSame);
  EXPECT_EQ(y2.to_vector<float>(), (std::vector<float>{37, 21, 23, 9}));
}

// A 1×1 conv mixes channels per pixel (and takes the im2col-free path):
// y0 = x0 + 0.5·x1, y1 = −x0 + 2·x1.
TEST(OpsConv, Conv2dPointwiseHandComputed) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 10, 20, 30, 40}, {1, 2, 2, 2});
  const Tensor w = Tensor::from_vector<float>({1, 0.5f, -1, 2}, {2, 2, 1, 1});
  const Tensor b = Tensor::from_vector<float>({0, 1}, {2});
  EXPECT_EQ(ops::conv2d(x, w, b, 1, 1, Padding2d{}).to_vector<float>(),
            (std::vector<float>{6, 12, 18, 24, 20, 39, 58, 77}));
}

// Stride 2, k = 2, 'same' (no padding): every input pixel stamps a scaled copy of w into its own
// 2×2 block of the output.
TEST(OpsConv, ConvTransposeHandComputed) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor w = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor y = ops::conv_transpose2d(x, w, Tensor(), 2, 2, PaddingMode::kSame);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(y.to_vector<float>(),
            (std::vector<float>{1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16}));
  // Stride 1 'same' pads 0/1, so output (a, b) = Σ_{p≤a, q≤b} w[a−p][b−q] x[p][q]:
  // (1,1) = 4·1 + 3·2 + 2·3 + 1·4 = 20.
  const Tensor b = Tensor::from_vector<float>({-1}, {1});
  EXPECT_EQ(ops::conv_transpose2d(x, w, b, 1, 1, PaddingMode::kSame).to_vector<float>(),
            (std::vector<float>{0, 3, 5, 19}));
}

// 'valid' transposed: out = in·stride + max(k − stride, 0) = 11, no padding; the explicit form
// with the same size and zero padding is the same op.
TEST(OpsConv, ConvTransposeValidSize) {
  const Tensor x = random_tensor({2, 3, 5, 4}, 1);
  const Tensor w = random_tensor({3, 2, 3, 2}, 2);
  const Tensor y = ops::conv_transpose2d(x, w, Tensor(), 2, 3, PaddingMode::kValid);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 11, 12}));
  EXPECT_EQ(y.to_vector<double>(),
            ops::conv_transpose2d(x, w, Tensor(), 2, 3, Padding2d{}, 11, 12).to_vector<double>());
  // The forward 'valid' conv maps the output size back to the input size.
  EXPECT_EQ(ops::conv2d(y, w, Tensor(), 2, 3, PaddingMode::kValid).shape(), (Shape{2, 3, 5, 4}));
}

// ---- the kernels against a direct loop, across chunk sizes and the fast paths ----

struct Naive {
  const ConvGeometry& g;
  std::int64_t x_index(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) const {
    return ((n * g.in_channels + c) * g.in_h + h) * g.in_w + w;
  }
  std::int64_t y_index(std::int64_t n, std::int64_t o, std::int64_t p, std::int64_t q) const {
    return ((n * g.out_channels + o) * g.out_h + p) * g.out_w + q;
  }
  std::int64_t w_index(std::int64_t o, std::int64_t c, std::int64_t i, std::int64_t j) const {
    return ((o * g.in_channels + c) * g.kernel_h + i) * g.kernel_w + j;
  }
  // Calls f(x index, y index, w index) for every multiply of the conv.
  template <class F>
  void each(F f) const {
    for (std::int64_t n = 0; n < g.batch; ++n)
      for (std::int64_t o = 0; o < g.out_channels; ++o)
        for (std::int64_t p = 0; p < g.out_h; ++p)
          for (std::int64_t q = 0; q < g.out_w; ++q)
            for (std::int64_t c = 0; c < g.in_channels; ++c)
              for (std::int64_t i = 0; i < g.kernel_h; ++i)
                for (std::int64_t j = 0; j < g.kernel_w; ++j) {
                  const std::int64_t h = p * g.stride_h - g.pad_top + i;
                  const std::int64_t w = q * g.stride_w - g.pad_left + j;
                  if (h < 0 || h >= g.in_h || w < 0 || w >= g.in_w) continue;
                  f(x_index(n, c, h, w), y_index(n, o, p, q), w_index(o, c, i, j));
                }
  }
};

ConvGeometry make_geometry(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w,
                           std::int64_t o, std::int64_t kh, std::int64_t kw, std::int64_t sh,
                           std::int64_t sw, Padding2d p) {
  ConvGeometry g;
  g.batch = n;
  g.in_channels = c;
  g.in_h = h;
  g.in_w = w;
  g.out_channels = o;
  g.kernel_h = kh;
  g.kernel_w = kw;
  g.stride_h = sh;
  g.stride_w = sw;
  g.pad_top = p.top;
  g.pad_left = p.left;
  g.out_h = (h + p.top + p.bottom - kh) / sh + 1;
  g.out_w = (w + p.left + p.right - kw) / sw + 1;
  return g;
}

// Column-matrix budgets of the strided data gradient of one value (one output row per band) and of
// a whole image, with 1 thread (images in sequence), 2 and 3 threads (images spread over the pool,
// uneven ranges in the filter gradient's image groups).
TEST(OpsConv, KernelsMatchDirectLoopAcrossBandsAndThreads) {
  const std::vector<ConvGeometry> cases = {
      make_geometry(5, 3, 6, 7, 4, 3, 3, 1, 1, {1, 1, 1, 1}),
      make_geometry(3, 2, 7, 5, 3, 3, 2, 2, 2, {0, 1, 1, 0}),
      make_geometry(4, 2, 5, 5, 3, 4, 4, 1, 1, {1, 2, 1, 2}),
      make_geometry(3, 4, 3, 4, 5, 1, 1, 1, 1, {}),            // pointwise fast path
      make_geometry(3, 4, 5, 6, 2, 1, 1, 2, 2, {}),            // 1×1 but strided
      make_geometry(2, 1, 2, 3, 2, 5, 4, 3, 1, {2, 3, 1, 2}),  // window wider than the image
      make_geometry(1, 2, 6, 5, 3, 3, 3, 2, 1, {1, 1, 1, 1}),  // a single image
      // Enough multiply-adds per image that images are spread over the threads and the filter
      // gradient is summed in several image groups.
      make_geometry(7, 8, 12, 11, 16, 3, 3, 1, 1, {1, 1, 1, 1}),
      make_geometry(7, 64, 6, 6, 72, 1, 1, 1, 1, {}),
      // The blocked GEMM's edges: depth 288 (two K blocks in double), 400 pixels per image (two
      // column blocks), 9 output channels (a partial row panel; the data gradient has 288 rows).
      make_geometry(2, 32, 20, 20, 9, 3, 3, 1, 1, {1, 1, 1, 1}),
  };
  const int saved_threads = kernels::cpu::cpu_threads();
  for (std::size_t ci = 0; ci < cases.size(); ++ci) {
    const ConvGeometry& g = cases[ci];
    const Naive nv{g};
    const auto xs = random_tensor({g.batch, g.in_channels, g.in_h, g.in_w}, 10).to_vector<double>();
    const auto ws = random_tensor({g.out_channels, g.in_channels, g.kernel_h, g.kernel_w}, 11)
                        .to_vector<double>();
    const auto dys =
        random_tensor({g.batch, g.out_channels, g.out_h, g.out_w}, 12).to_vector<double>();
    const auto bs = random_tensor({g.out_channels}, 13).to_vector<double>();
    std::vector<double> y_ref(dys.size(), 0.0), dx_ref(xs.size(), 0.0), dw_ref(ws.size(), 0.0);
    for (std::size_t i = 0; i < y_ref.size(); ++i)
      y_ref[i] = bs[(i / static_cast<std::size_t>(g.out_h * g.out_w)) %
                    static_cast<std::size_t>(g.out_channels)];
    nv.each([&](std::int64_t xi, std::int64_t yi, std::int64_t wi) {
      y_ref[yi] += ws[wi] * xs[xi];
      dx_ref[xi] += ws[wi] * dys[yi];
      dw_ref[wi] += xs[xi] * dys[yi];
    });
    const std::int64_t per_image = g.in_channels * g.kernel_h * g.kernel_w * g.out_h * g.out_w;
    // Results of the first thread count, per budget: the others must give the same bits.
    std::vector<std::vector<double>> first_results;
    for (int threads : {1, 2, 3}) {
      kernels::cpu::set_cpu_threads(threads);
      for (std::int64_t budget : {std::int64_t{1}, per_image}) {
        const std::string what = "case " + std::to_string(ci) + " threads " +
                                 std::to_string(threads) + " budget " + std::to_string(budget);
        std::vector<double> y(y_ref.size(), -7.0), dx(dx_ref.size(), -7.0), dw(dw_ref.size(), -7.0);
        kernels::cpu::conv2d_forward<double>(g, xs.data(), ws.data(), bs.data(), y.data());
        kernels::cpu::conv2d_backward_data<double>(g, dys.data(), ws.data(), dx.data(), budget);
        kernels::cpu::conv2d_backward_filter<double>(g, xs.data(), dys.data(), dw.data());
        expect_near_all(y, y_ref, 1e-12, what + " forward");
        expect_near_all(dx, dx_ref, 1e-12, what + " backward data");
        expect_near_all(dw, dw_ref, 1e-12, what + " backward filter");
        const std::size_t slot = budget == 1 ? 0 : 3;
        if (threads == 1) {
          first_results.insert(first_results.end(), {y, dx, dw});
        } else {
          EXPECT_EQ(y, first_results[slot]) << what << " forward differs from 1 thread";
          EXPECT_EQ(dx, first_results[slot + 1]) << what << " backward data differs";
          EXPECT_EQ(dw, first_results[slot + 2]) << what << " backward filter differs";
        }
      }
    }
  }
  kernels::cpu::set_cpu_threads(saved_threads);
}

TEST(OpsConv, FloatAgreesWithDouble) {
  const Tensor x = random_tensor({3, 4, 9, 8}, 1);
  const Tensor w = random_tensor({5, 4, 3, 3}, 2);
  const Tensor b = random_tensor({5}, 3);
  const auto y64 = ops::conv2d(x, w, b, 2, 1, PaddingMode::kSame).to_vector<double>();
  const auto y32 =
      ops::conv2d(x.to(DType::F32), w.to(DType::F32), b.to(DType::F32), 2, 1, PaddingMode::kSame)
          .to_vector<double>();
  expect_near_all(y32, y64, 1e-5, "f32 vs f64");
}

// ---- gradients (the finite-difference checks are rows of tests/common/op_cases.cpp) ----

// <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>: the transposed conv is the adjoint, at stride 2
// with TF 'same' padding (asymmetric for the odd height).
TEST(OpsConv, ConvTransposeIsAdjointOfConv) {
  const auto dot = [](const Tensor& a, const Tensor& b) {
    const auto av = a.to_vector<double>(), bv = b.to_vector<double>();
    double s = 0;
    for (std::size_t i = 0; i < av.size(); ++i)
      s += av[i] * bv[i];
    return s;
  };
  const Tensor w = random_tensor({4, 3, 3, 3}, 21);
  for (const Shape& xs : {Shape{2, 3, 8, 6}, Shape{2, 3, 7, 6}}) {
    const Tensor x = random_tensor(xs, 20);
    const Tensor cx = ops::conv2d(x, w, Tensor(), 2, 2, PaddingMode::kSame);
    ASSERT_EQ(cx.shape(), (Shape{2, 4, (xs[2] + 1) / 2, 3}));
    const Tensor y = random_tensor(cx.shape(), 22);
    const Padding2d same = ops::padding_for(PaddingMode::kSame, xs[2], xs[3], 3, 3, 2, 2);
    const Tensor ty = ops::conv_transpose2d(y, w, Tensor(), 2, 2, same, xs[2], xs[3]);
    ASSERT_EQ(ty.shape(), xs);
    EXPECT_NEAR(dot(cx, y), dot(x, ty), 1e-10 * std::abs(dot(cx, y)) + 1e-12);
    if (xs[2] % 2 == 0) {  // the mode overload picks the same padding when H = in·stride
      EXPECT_EQ(ops::conv_transpose2d(y, w, Tensor(), 2, 2, PaddingMode::kSame).to_vector<double>(),
                ty.to_vector<double>());
    }
  }
}

TEST(OpsConv, RecordsOneNodeAndOnlyNeededGradients) {
  autograd::clear_tape();
  Tensor x = random_tensor({1, 2, 4, 4}, 1);
  Tensor w = random_tensor({3, 2, 3, 3}, 2).set_requires_grad(true);
  const Tensor y = ops::conv2d(x, w, Tensor(), 1, 1, PaddingMode::kSame);
  EXPECT_EQ(autograd::tape_ops(), std::vector<std::string>{"conv2d"});
  autograd::backward(y, Tensor::ones(y.shape(), DType::F64));
  EXPECT_TRUE(w.grad().defined());
  EXPECT_FALSE(x.grad().defined());
  {
    autograd::NoGrad guard;
    ops::conv2d(x, w, Tensor(), 1, 1, PaddingMode::kSame);
  }
  EXPECT_EQ(autograd::tape_size(), 0u);
}

// ---- errors ----

TEST(OpsConv, ErrorsNameOpAndShapes) {
  const Tensor x = Tensor::zeros({2, 3, 8, 8});
  testing::expect_error(
      [&] {
        ops::conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor(), 1, 1, {});
      },
      {"conv2d", "[2,3,8,8]", "[4,2,3,3]", "3 channels", "expects 2"});
  testing::expect_error(
      [&] {
        ops::conv2d(Tensor::zeros({3, 8, 8}), Tensor::zeros({4, 3, 3, 3}), Tensor(), 1, 1, {});
      },
      {"conv2d", "input", "4 dimensions", "[3,8,8]"});
  testing::expect_error(
      [&] {
        ops::conv2d(x, Tensor::zeros({4, 3, 3, 3}, DType::F64), Tensor(), 1, 1, {});
      },
      {"conv2d", "f32[2,3,8,8]", "f64[4,3,3,3]"});
  testing::expect_error(
      [&] {
        ops::conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor::zeros({3}), 1, 1, PaddingMode::kSame);
      },
      {"conv2d", "bias", "[3]", "[4,3,3,3]"});
  testing::expect_error(
      [&] {
        ops::conv2d(x, Tensor::zeros({4, 3, 9, 3}), Tensor(), 1, 1, PaddingMode::kValid);
      },
      {"conv2d", "[4,3,9,3]", "[2,3,8,8]"});
  testing::expect_error(
      [&] {
        ops::conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), 0, 1, {});
      },
      {"conv2d", "stride"});
  testing::expect_error(
      [&] {
        ops::conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), 1, 1, Padding2d{-1, 0, 0, 0});
      },
      {"conv2d", "padding"});
  EXPECT_THROW(ops::conv2d(Tensor::zeros({2, 3, 8, 8}, DType::I32),
                           Tensor::zeros({4, 3, 3, 3}, DType::I32), Tensor(), 1, 1, {}),
               Error);

  testing::expect_error(
      [&] {
        ops::conv_transpose2d(x, Tensor::zeros({2, 4, 3, 3}), Tensor(), 2, 2, PaddingMode::kSame);
      },
      {"conv_transpose2d", "[2,3,8,8]", "[2,4,3,3]", "3 channels", "expects 2"});
  testing::expect_error(
      [&] {
        ops::conv_transpose2d(x, Tensor::zeros({3, 4, 3, 3}), Tensor(), 2, 2, Padding2d{1, 1, 1, 1},
                              20, 16);
      },
      {"conv_transpose2d", "20x16", "[2,3,8,8]", "[3,4,3,3]"});
  testing::expect_error(
      [&] {
        ops::conv_transpose2d(x, Tensor::zeros({3, 4, 3, 3}, DType::F64), Tensor(), 1, 1,
                              PaddingMode::kSame);
      },
      {"conv_transpose2d", "f32[2,3,8,8]", "f64[3,4,3,3]"});
  testing::expect_error(
      [&] {
        ops::conv_transpose2d(x, Tensor::zeros({3, 4, 3, 3}), Tensor::zeros({3}), 1, 1,
                              PaddingMode::kSame);
      },
      {"conv_transpose2d", "bias", "[3]", "expected [4]"});
}

}  // namespace
}  // namespace deepobs
