#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/resize.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

using testing::random_tensor;

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

// 2 → 4 with the legacy mapping: source coordinates 0, 0.5, 1, 1.5; the last one clamps to row 1,
// so each dimension reads [a, (a+b)/2, b, b]. (Half-pixel centres would give 1, 1.25, 1.75, 2.)
TEST(OpsResize, Upscale2To4HandComputed) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor y = ops::resize_bilinear(x, 4, 4);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(y.to_vector<float>(),
            (std::vector<float>{1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4}));
}

// 4 → 3: source coordinates 0, 4/3, 8/3: x = [1, 4, 2, 8] gives [1, 4 + (2−4)/3, 2 + (8−2)·2/3]
// = [1, 10/3, 6].
TEST(OpsResize, Downscale4To3HandComputed) {
  const Tensor x = Tensor::from_vector<double>({1, 4, 2, 8}, {1, 1, 1, 4});
  expect_near_all(ops::resize_bilinear(x, 1, 3).to_vector<double>(), {1, 10.0 / 3, 6}, 1e-6);
  const Tensor xt = Tensor::from_vector<double>({1, 4, 2, 8}, {1, 1, 4, 1});
  expect_near_all(ops::resize_bilinear(xt, 3, 1).to_vector<double>(), {1, 10.0 / 3, 6}, 1e-6);
  // In 2-D on x[r][c] = 10r + c the interpolation reproduces the plane: y = 10·R_i + C_j with
  // R = C = [0, 4/3, 8/3].
  std::vector<float> plane;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      plane.push_back(static_cast<float>(10 * r + c));
  const auto y = ops::resize_bilinear(Tensor::from_vector(plane, {1, 1, 4, 4}), 3, 3);
  std::vector<double> want;
  for (double r : {0.0, 4.0 / 3, 8.0 / 3})
    for (double c : {0.0, 4.0 / 3, 8.0 / 3})
      want.push_back(10 * r + c);
  expect_near_all(y.to_vector<double>(), want, 1e-5);
}

TEST(OpsResize, SameSizeIsIdentityAndChannelsAreIndependent) {
  const Tensor x = random_tensor({2, 3, 5, 4}, 1);
  EXPECT_EQ(ops::resize_bilinear(x, 5, 4).to_vector<double>(), x.to_vector<double>());
  // Each (image, channel) plane is resized on its own: plane 4 alone gives the same result.
  const Tensor y = ops::resize_bilinear(x, 7, 3);
  const auto all = y.to_vector<double>();
  const auto xs = x.to_vector<double>();
  const std::vector<double> plane4(xs.begin() + 4 * 20, xs.begin() + 5 * 20);
  const auto one = ops::resize_bilinear(Tensor::from_vector(plane4, {1, 1, 5, 4}), 7, 3);
  const std::vector<double> want(all.begin() + 4 * 21, all.begin() + 5 * 21);
  EXPECT_EQ(one.to_vector<double>(), want);
}

TEST(OpsResize, BackwardHandComputed) {
  // 2 → 4 along W: output j reads (1,0), (0.5,0.5), (0,1), (0,1) of (x0, x1).
  Tensor x = Tensor::from_vector<double>({1, 2}, {1, 1, 1, 2});
  x.set_requires_grad(true);
  autograd::clear_tape();
  const Tensor y = ops::resize_bilinear(x, 1, 4);
  autograd::backward(y, Tensor::from_vector<double>({1, 2, 4, 8}, {1, 1, 1, 4}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1 + 1, 1 + 4 + 8}));
}

TEST(OpsResize, Errors) {
  const auto mentions = [](const std::function<void()>& f, const std::vector<std::string>& parts) {
    try {
      f();
      FAIL() << "expected an error";
    } catch (const Error& e) {
      for (const auto& p : parts)
        EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
    }
  };
  mentions(
      [] {
        ops::resize_bilinear(Tensor::zeros({3, 4, 4}), 8, 8);
      },
      {"resize_bilinear", "4 dimensions", "[3,4,4]"});
  mentions(
      [] {
        ops::resize_bilinear(Tensor::zeros({1, 3, 4, 4}), 0, 8);
      },
      {"resize_bilinear", "0x8", "[1,3,4,4]"});
  mentions(
      [] {
        ops::resize_bilinear(Tensor::zeros({1, 3, 4, 4}, DType::U8), 8, 8);
      },
      {"resize_bilinear", "u8"});
}

}  // namespace
}  // namespace deepobs
