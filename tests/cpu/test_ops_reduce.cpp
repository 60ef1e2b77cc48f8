#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "kernels/cpu/parallel.h"
#include "tests/common/expect_error.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

using testing::check_gradients;
using testing::expect_error;
using testing::random_tensor;

// [2,3,4] holding 0, 1, …, 23.
Tensor arange234() {
  std::vector<double> v(24);
  std::iota(v.begin(), v.end(), 0.0);
  return Tensor::from_vector(v, {2, 3, 4});
}

TEST(OpsReduce, AllElements) {
  const Tensor x = arange234();
  const Tensor s = ops::sum(x);
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.item(), 276.0);
  EXPECT_EQ(ops::mean(x).shape(), Shape{});
  EXPECT_EQ(ops::mean(x).item(), 11.5);
  EXPECT_EQ(ops::sum(x.to(DType::F32)).dtype(), DType::F32);
  EXPECT_EQ(ops::sum(x.to(DType::F32)).item(), 276.0);
  EXPECT_EQ(ops::sum(Tensor::zeros({0, 3})).item(), 0.0);
  EXPECT_EQ(ops::mean(Tensor::scalar(4.0)).item(), 4.0);
}

TEST(OpsReduce, OverAxesHandComputed) {
  const Tensor x = arange234();
  // Over dim 0: x[0] + x[1] = 2·(0..11) + 12.
  const Tensor s0 = ops::sum(x, {0});
  EXPECT_EQ(s0.shape(), (Shape{3, 4}));
  EXPECT_EQ(s0.to_vector<double>(),
            (std::vector<double>{12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}));
  // Over the last dim (−1), keeping it.
  const Tensor s2 = ops::sum(x, {-1}, true);
  EXPECT_EQ(s2.shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(s2.to_vector<double>(), (std::vector<double>{6, 22, 38, 54, 70, 86}));
  // Over dims 0 and 2: per middle index j, Σ_i Σ_k (12i + 4j + k) = 2·(16j + 6) + 48.
  const Tensor s02 = ops::sum(x, {2, 0});
  EXPECT_EQ(s02.shape(), (Shape{3}));
  EXPECT_EQ(s02.to_vector<double>(), (std::vector<double>{60, 92, 124}));
  const Tensor m02 = ops::mean(x, {0, -1}, true);
  EXPECT_EQ(m02.shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(m02.to_vector<double>(), (std::vector<double>{7.5, 11.5, 15.5}));
  // Spatial mean of NCHW (All-CNN-C's head): [2,3,4] read as N=1, C=2, H=3, W=4.
  const Tensor hw = ops::mean(x.view({1, 2, 3, 4}), {2, 3});
  EXPECT_EQ(hw.shape(), (Shape{1, 2}));
  EXPECT_EQ(hw.to_vector<double>(), (std::vector<double>{5.5, 17.5}));
  // Every axis: a scalar, or all-ones with keepdim.
  EXPECT_EQ(ops::sum(x, {0, 1, 2}).shape(), Shape{});
  EXPECT_EQ(ops::sum(x, {0, 1, 2}, true).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(ops::sum(x, {0, 1, 2}).item(), 276.0);
  // A reduced extent of 1 is an identity on the values.
  EXPECT_EQ(ops::sum(s2, {2}).to_vector<double>(), s2.to_vector<double>());
}

TEST(OpsReduce, FloatSumsAccumulateInDouble) {
  // With a float accumulator 1e8 + 1 rounds back to 1e8 and the sum below would be 0.
  const Tensor x = Tensor::from_vector<float>({1e8f, 1.0f, -1e8f}, {3});
  EXPECT_EQ(ops::sum(x).item(), 1.0);
  // A million copies of 0.1f: a float running sum drifts by about 1% (to ~100958); the double
  // accumulator gives the exact sum of the float values, rounded once.
  const Tensor tenths = Tensor::full({1000, 1000}, 0.1, DType::F32);
  const double exact = 1e6 * static_cast<double>(0.1f);
  EXPECT_EQ(ops::sum(tenths).item(), static_cast<double>(static_cast<float>(exact)));
  EXPECT_EQ(ops::mean(tenths).item(), static_cast<double>(0.1f));
  const auto cols = ops::sum(tenths, {0}).to_vector<float>();
  EXPECT_EQ(cols[0], static_cast<float>(1000 * static_cast<double>(0.1f)));
}

TEST(OpsReduce, IndependentOfThreadCount) {
  const Tensor x = random_tensor({64, 33, 17}, 5).to(DType::F32);
  const int saved = kernels::cpu::cpu_threads();
  kernels::cpu::set_cpu_threads(1);
  const auto one_all = ops::sum(x).item();
  const auto one_axes = ops::mean(x, {0, 2}).to_vector<float>();
  kernels::cpu::set_cpu_threads(4);
  const auto four_all = ops::sum(x).item();
  const auto four_axes = ops::mean(x, {0, 2}).to_vector<float>();
  kernels::cpu::set_cpu_threads(saved);
  EXPECT_EQ(std::memcmp(&one_all, &four_all, sizeof(double)), 0);
  EXPECT_EQ(one_axes, four_axes);
}

TEST(OpsReduce, Gradients) {
  const Tensor x = random_tensor({2, 3, 4}, 17);
  check_gradients("sum", [](const std::vector<Tensor>& in) { return ops::sum(in[0]); }, {x});
  check_gradients("mean", [](const std::vector<Tensor>& in) { return ops::mean(in[0]); }, {x});
  const std::vector<std::pair<std::vector<std::int64_t>, bool>> cases = {
      {{0}, false}, {{1}, true}, {{-1}, false}, {{0, 2}, false}, {{2, 0}, true}, {{0, 1, 2}, false},
  };
  for (const auto& [axes, keep] : cases) {
    check_gradients(
        "sum axes",
        [axes, keep](const std::vector<Tensor>& in) { return ops::sum(in[0], axes, keep); }, {x});
    check_gradients(
        "mean axes",
        [axes, keep](const std::vector<Tensor>& in) { return ops::mean(in[0], axes, keep); }, {x});
  }
}

// SPEC §3.5's per-example VAE loss, built from elementwise ops and axis sums as the problem will:
// L_i = Σ_p (x̂ − x)² − 0.5·Σ_j (1 + 2s − μ² − e^(2s)).
Tensor vae_loss(const Tensor& recon, const Tensor& x, const Tensor& mu, const Tensor& s) {
  const Tensor rec = ops::sum(ops::square(ops::sub(recon, x)), {1});
  const Tensor inner =
      ops::sub(ops::sub(ops::add_scalar(ops::mul_scalar(s, 2.0), 1.0), ops::square(mu)),
               ops::exp(ops::mul_scalar(s, 2.0)));
  return ops::add(rec, ops::mul_scalar(ops::sum(inner, {1}), -0.5));
}

TEST(OpsReduce, VaeLossComposition) {
  const Tensor recon = Tensor::from_vector<double>({0.5, 1.0, 0.0, 0.25}, {2, 2});
  const Tensor x = Tensor::from_vector<double>({1.0, 1.0, 0.5, 0.25}, {2, 2});
  const Tensor mu = Tensor::from_vector<double>({1.0, 0.0, -2.0, 0.5}, {2, 2});
  const Tensor s = Tensor::from_vector<double>({0.0, 0.0, 0.5, -0.5}, {2, 2});
  const auto loss = vae_loss(recon, x, mu, s).to_vector<double>();
  ASSERT_EQ(loss.size(), 2u);
  // Row 0: 0.25 + 0 − 0.5·[(1 + 0 − 1 − 1) + (1 + 0 − 0 − 1)] = 0.25 + 0.5.
  EXPECT_NEAR(loss[0], 0.75, 1e-15);
  // Row 1: 0.25 + 0 − 0.5·[(1 + 1 − 4 − e) + (1 − 1 − 0.25 − e^−1)].
  EXPECT_NEAR(loss[1], 0.25 - 0.5 * ((-2 - std::exp(1.0)) + (-0.25 - std::exp(-1.0))), 1e-14);
  check_gradients(
      "vae loss",
      [](const std::vector<Tensor>& in) { return vae_loss(in[0], in[1], in[2], in[3]); },
      {random_tensor({3, 6}, 41, 0, 1), random_tensor({3, 6}, 42, 0, 1), random_tensor({3, 4}, 43),
       random_tensor({3, 4}, 44)});
}

TEST(OpsReduce, BadAxes) {
  const Tensor x = Tensor::zeros({2, 3, 4});
  expect_error([&] { ops::sum(x, {3}); }, {"sum", "axis 3", "out of range", "[2,3,4]"});
  expect_error([&] { ops::mean(x, {-4}); }, {"mean", "axis -4", "out of range"});
  expect_error([&] { ops::sum(x, {1, -2}); }, {"sum", "axis -2", "second time"});
  expect_error([&] { ops::sum(x, {0, 0}); }, {"sum", "axis 0", "second time"});
  expect_error([&] { ops::sum(x, {}); }, {"sum", "empty axis list"});
  expect_error([&] { ops::sum(Tensor::scalar(1.0), {0}); }, {"sum", "axis 0", "out of range"});
}

TEST(OpsReduce, BadInputs) {
  expect_error([] { ops::sum(Tensor::zeros({3}, DType::I32)); }, {"sum", "i32"});
  expect_error([] { ops::mean(Tensor::zeros({3}, DType::U8), {0}); }, {"mean", "u8"});
  expect_error([] { ops::mean(Tensor::zeros({0, 3})); }, {"mean", "zero elements"});
  expect_error([] { ops::mean(Tensor::zeros({0, 3}), {0}); }, {"mean", "zero elements"});
}

}  // namespace
}  // namespace deepobs
