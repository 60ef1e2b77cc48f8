#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/pool.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/pool.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

using ops::Padding2d;
using ops::PaddingMode;
using testing::random_tensor;

// x = [[1,2,3],[4,5,6],[7,8,9]]; 3×3/1 'same' pads 1 on every side.
TEST(OpsPool, AvgPoolDividesByNonPaddedCount) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor y = ops::avg_pool2d(x, 3, 3, 1, 1, PaddingMode::kSame);
  // corner (0,0): (1+2+4+5)/4 = 3, not 12/9; edge (0,1): 21/6 = 3.5; centre 45/9 = 5;
  // edge (1,0): (1+2+4+5+7+8)/6 = 4.5; corner (2,2): (5+6+8+9)/4 = 7.
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7}));
}

TEST(OpsPool, AvgPoolAsymmetricPaddingHandComputed) {
  // 2×2/2 'same' on 3×3: out 2, pad 0 before and 1 after in both dimensions.
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor y = ops::avg_pool2d(x, 2, 2, 2, 2, PaddingMode::kSame);
  // (1+2+4+5)/4 = 3, (3+6)/2 = 4.5, (7+8)/2 = 7.5, 9/1.
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 4.5f, 7.5f, 9}));
}

TEST(OpsPool, MaxPoolIgnoresPadding) {
  // All values negative: a zero padding would win; −∞ padding never does.
  const Tensor x = Tensor::from_vector<float>({-1, -2, -3, -4, -5, -6, -7, -8, -9}, {1, 1, 3, 3});
  EXPECT_EQ(ops::max_pool2d(x, 2, 2, 2, 2, PaddingMode::kSame).to_vector<float>(),
            (std::vector<float>{-1, -3, -7, -9}));
  EXPECT_EQ(ops::max_pool2d(x, 3, 3, 1, 1, PaddingMode::kSame).to_vector<float>(),
            (std::vector<float>{-1, -1, -2, -1, -1, -2, -4, -4, -5}));
  // 3×3/2 'same' on 3 (the 3c3d pooling): out 2, total 1·2 + 3 − 3 = 2, so 1 before and after;
  // window (1,1) covers rows/columns 1..3 of which 3 is padding.
  EXPECT_EQ(ops::max_pool2d(x, 3, 3, 2, 2, PaddingMode::kSame).to_vector<float>(),
            (std::vector<float>{-1, -2, -4, -5}));
}

TEST(OpsPool, MaxPoolHandComputedWithStride) {
  // 4×4 input, 2×2/2 'valid' (the 2c2d pooling on an even image).
  const Tensor x =
      Tensor::from_vector<float>({1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 9, 9, 7, 1, 9, 2}, {1, 1, 4, 4});
  EXPECT_EQ(ops::max_pool2d(x, 2, 2, 2, 2, PaddingMode::kValid).to_vector<float>(),
            (std::vector<float>{5, 8, 7, 9}));
}

TEST(OpsPool, MaxPoolTiesSendGradientToFirst) {
  Tensor x = Tensor::from_vector<double>({2, 2, 2, 2, 1, 3, 3, 1}, {1, 2, 2, 2});
  x.set_requires_grad(true);
  autograd::clear_tape();
  const Tensor y = ops::max_pool2d(x, 2, 2, 2, 2, PaddingMode::kValid);
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{2, 3}));
  autograd::backward(y, Tensor::from_vector<double>({10, 20}, {1, 2, 1, 1}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{10, 0, 0, 0, 0, 20, 0, 0}));
}

TEST(OpsPool, MaxPoolPropagatesNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = Tensor::from_vector<double>({1, nan, 5, 2}, {1, 1, 2, 2});
  EXPECT_TRUE(std::isnan(ops::max_pool2d(x, 2, 2, 1, 1, PaddingMode::kValid).item()));
}

TEST(OpsPool, BackwardHandComputed) {
  // avg 2×2/2 'same' on 3×3: the corner window has 1 pixel, so its gradient passes undivided.
  Tensor x = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  x.set_requires_grad(true);
  autograd::clear_tape();
  const Tensor y = ops::avg_pool2d(x, 2, 2, 2, 2, PaddingMode::kSame);
  autograd::backward(y, Tensor::from_vector<double>({4, 2, 6, 1}, {1, 1, 2, 2}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 1, 1, 1, 1, 1, 3, 3, 1}));
}

TEST(OpsPool, FloatMatchesDouble) {
  const Tensor x = random_tensor({3, 4, 9, 7}, 5);
  for (bool use_max : {false, true}) {
    const auto pool = [&](const Tensor& t) {
      return use_max ? ops::max_pool2d(t, 3, 3, 2, 2, PaddingMode::kSame)
                     : ops::avg_pool2d(t, 3, 3, 2, 2, PaddingMode::kSame);
    };
    const auto a = pool(x).to_vector<double>();
    const auto b = pool(x.to(DType::F32)).to_vector<double>();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i], b[i], 1e-6) << i;
  }
}

// The disjoint 2×2/2 max pool (the 2c2d pooling) has its own vectorised loops: they must give the
// bits of the documented rule (first of equal values, the first NaN wins, 0 + dy in the backward
// pass, untouched pixels 0) for any thread count, including images with a leftover row/column.
template <class T>
void check_disjoint_max_pool(std::int64_t planes, std::int64_t in_h, std::int64_t in_w) {
  kernels::cpu::PoolGeometry g;
  g.planes = planes;
  g.in_h = in_h;
  g.in_w = in_w;
  g.kernel_h = g.kernel_w = g.stride_h = g.stride_w = 2;
  g.out_h = in_h / 2;
  g.out_w = in_w / 2;
  const std::int64_t n_in = planes * in_h * in_w, n_out = planes * g.out_h * g.out_w;
  // Few distinct values, so windows hold ties; some NaNs and signed zeros.
  std::vector<T> x(static_cast<std::size_t>(n_in)), dy(static_cast<std::size_t>(n_out));
  for (std::int64_t i = 0; i < n_in; ++i)
    x[i] = i % 97 == 5 ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>((i * 7919) % 5) - 2;
  for (std::int64_t i = 0; i < n_out; ++i)
    dy[i] = i % 11 == 3 ? T(-0.0) : static_cast<T>((i * 31) % 13) - T(6.5);
  std::vector<T> y_ref(dy.size()), dx_ref(x.size(), T(0));
  std::vector<std::int32_t> arg_ref(dy.size());
  for (std::int64_t p = 0; p < planes; ++p) {
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        const std::int64_t o = (p * g.out_h + oh) * g.out_w + ow;
        std::int64_t best_at = -1;
        for (std::int64_t i = 2 * oh; i < 2 * oh + 2; ++i) {
          for (std::int64_t j = 2 * ow; j < 2 * ow + 2; ++j) {
            const std::int64_t at = i * in_w + j;
            const T v = x[p * in_h * in_w + at], b = best_at < 0 ? v : x[p * in_h * in_w + best_at];
            if (best_at < 0 || v > b || (std::isnan(v) && !std::isnan(b))) best_at = at;
          }
        }
        y_ref[o] = x[p * in_h * in_w + best_at];
        arg_ref[o] = static_cast<std::int32_t>(best_at);
        dx_ref[p * in_h * in_w + best_at] += dy[o];
      }
    }
  }
  const auto same_bits = [](const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
  };
  const int saved = kernels::cpu::cpu_threads();
  for (int threads : {1, 2, 3}) {
    kernels::cpu::set_cpu_threads(threads);
    std::vector<T> y(dy.size(), T(-7)), dx(x.size(), T(-7));
    std::vector<std::int32_t> arg(dy.size(), -1);
    kernels::cpu::max_pool2d_forward<T>(g, x.data(), y.data(), arg.data());
    kernels::cpu::max_pool2d_backward<T>(g, dy.data(), arg.data(), dx.data());
    const std::string what = std::to_string(planes) + "x" + std::to_string(in_h) + "x" +
                             std::to_string(in_w) + " threads " + std::to_string(threads);
    EXPECT_TRUE(same_bits(y, y_ref)) << what << " forward";
    EXPECT_EQ(arg, arg_ref) << what << " argmax";
    EXPECT_TRUE(same_bits(dx, dx_ref)) << what << " backward";
  }
  kernels::cpu::set_cpu_threads(saved);
}

TEST(OpsPool, Disjoint2x2MaxPoolMatchesTheRuleForAnyThreadCount) {
  check_disjoint_max_pool<float>(3, 4, 6);      // exact fit
  check_disjoint_max_pool<double>(2, 5, 7);     // a leftover row and column (the general loops)
  check_disjoint_max_pool<float>(300, 14, 14);  // enough planes to spread over the threads
  check_disjoint_max_pool<double>(300, 28, 28);
}

TEST(OpsPool, Errors) {
  const auto mentions = [](const std::function<void()>& f, const std::vector<std::string>& parts) {
    try {
      f();
      FAIL() << "expected an error";
    } catch (const Error& e) {
      for (const auto& p : parts)
        EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
    }
  };
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  mentions(
      [&] {
        ops::max_pool2d(Tensor::zeros({3, 4, 4}), 2, 2, 2, 2, PaddingMode::kSame);
      },
      {"max_pool2d", "4 dimensions", "[3,4,4]"});
  mentions([&] { ops::avg_pool2d(x, 5, 2, 1, 1, PaddingMode::kValid); },
           {"avg_pool2d", "5x2", "[2,3,4,4]"});
  mentions(
      [&] {
        ops::avg_pool2d(x, 2, 2, 1, 1, Padding2d{2, 0, 0, 0});
      },
      {"avg_pool2d", "padding", "[2,3,4,4]"});
  mentions([&] { ops::max_pool2d(x, 2, 2, 0, 1, Padding2d{}); }, {"max_pool2d", "strides"});
  mentions(
      [&] {
        ops::max_pool2d(Tensor::zeros({1, 1, 2, 2}, DType::I32), 2, 2, 1, 1, {});
      },
      {"max_pool2d", "i32"});
}

}  // namespace
}  // namespace deepobs
