#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/loss.h"
#include "tests/common/expect_error.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

using testing::check_gradients;
using testing::expect_error;
using testing::random_tensor;

// log(e^1 + e^2 + e^3), computed independently.
constexpr double kLse123 = 3.40760596444438;

TEST(OpsLoss, CrossEntropyHandComputed) {
  const Tensor logits = Tensor::from_vector<double>({1, 2, 3, 1, 2, 3}, {2, 3});
  const Tensor labels = Tensor::from_vector<std::int64_t>({2, 0}, {2});
  const Tensor loss = ops::softmax_cross_entropy(logits, labels);
  EXPECT_EQ(loss.shape(), (Shape{2}));
  EXPECT_EQ(loss.dtype(), DType::F64);
  const auto v = loss.to_vector<double>();
  EXPECT_NEAR(v[0], 0.40760596444438013, 1e-14);  // lse − 3
  EXPECT_NEAR(v[1], kLse123 - 1.0, 1e-14);
}

TEST(OpsLoss, CrossEntropyWithLabelSmoothing) {
  // ε = 0.1, C = 3: target = [0.1/3, 0.1/3, 0.9 + 0.1/3], loss = lse − 0.9·x_2 − 0.1·mean(x).
  const Tensor logits = Tensor::from_vector<double>({1, 2, 3, 0.5, -1, 2}, {2, 3});
  const Tensor labels = Tensor::from_vector<std::int32_t>({2, 0}, {2});
  const auto v = ops::softmax_cross_entropy(logits, labels, 0.1).to_vector<double>();
  EXPECT_NEAR(v[0], kLse123 - 2.7 - 0.2, 1e-14);
  EXPECT_NEAR(v[1], 1.7413112966571571, 1e-14);
  // ε = 1: the target is uniform and the label no longer matters.
  const auto u = ops::softmax_cross_entropy(logits, labels, 1.0).to_vector<double>();
  EXPECT_NEAR(u[0], kLse123 - 2.0, 1e-14);
}

TEST(OpsLoss, CrossEntropyFloat32AndBothLabelTypes) {
  const Tensor logits = Tensor::from_vector<float>({1, 2, 3}, {1, 3});
  const Tensor l32 = Tensor::from_vector<std::int32_t>({2}, {1});
  const Tensor l64 = Tensor::from_vector<std::int64_t>({2}, {1});
  const Tensor a = ops::softmax_cross_entropy(logits, l32);
  EXPECT_EQ(a.dtype(), DType::F32);
  EXPECT_NEAR(a.item(), 0.40760596444438013, 1e-6);
  EXPECT_EQ(a.item(), ops::softmax_cross_entropy(logits, l64).item());
}

TEST(OpsLoss, CrossEntropyIsStableForHugeLogits) {
  // Shifting every logit by the same amount leaves the loss unchanged; without the max shift,
  // exp(1000) would overflow to inf and the loss would be NaN.
  const Tensor logits = Tensor::from_vector<float>({1001, 1002, 1003, -1000, -1000, 50}, {2, 3});
  const Tensor labels = Tensor::from_vector<std::int64_t>({2, 0}, {2});
  const auto v = ops::softmax_cross_entropy(logits, labels).to_vector<float>();
  EXPECT_NEAR(v[0], 0.40760596444438013, 1e-4);
  EXPECT_NEAR(v[1], 1050.0f, 1e-3);
}

TEST(OpsLoss, NanLogitGivesNanLoss) {
  const Tensor logits =
      Tensor::from_vector<double>({1, std::numeric_limits<double>::quiet_NaN(), 3}, {1, 3});
  EXPECT_TRUE(std::isnan(
      ops::softmax_cross_entropy(logits, Tensor::from_vector<std::int64_t>({0}, {1})).item()));
}

TEST(OpsLoss, CrossEntropyBackwardHandComputed) {
  // d loss / d logits = (softmax − target)·g with g = 2 for the single row.
  Tensor logits = Tensor::from_vector<double>({1, 2, 3}, {1, 3});
  logits.set_requires_grad(true);
  const Tensor labels = Tensor::from_vector<std::int64_t>({2}, {1});
  autograd::backward(ops::softmax_cross_entropy(logits, labels, 0.1),
                     Tensor::from_vector<double>({2}, {1}));
  const std::vector<double> p = {0.09003057317038048, 0.2447284710547977, 0.665240955774822};
  const std::vector<double> t = {0.1 / 3, 0.1 / 3, 0.9 + 0.1 / 3};
  const auto g = logits.grad().to_vector<double>();
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(g[c], 2 * (p[c] - t[c]), 1e-15) << c;
}

TEST(OpsLoss, CrossEntropyGradient) {
  const Tensor logits = random_tensor({4, 5}, 3, -2.0, 2.0);
  const Tensor l64 = Tensor::from_vector<std::int64_t>({4, 0, 2, 2}, {4});
  const Tensor l32 = Tensor::from_vector<std::int32_t>({1, 3, 0, 4}, {4});
  for (const double eps : {0.0, 0.1, 1.0}) {
    for (const Tensor& labels : {l64, l32}) {
      check_gradients("softmax_cross_entropy eps " + std::to_string(eps),
                      [eps](const std::vector<Tensor>& in) {
                        return ops::softmax_cross_entropy(in[0], in[1], eps);
                      },
                      {logits, labels}, {true, false});
    }
  }
}

TEST(OpsLoss, EmptyBatchGivesEmptyLoss) {
  const Tensor loss =
      ops::softmax_cross_entropy(Tensor::zeros({0, 4}), Tensor::zeros({0}, DType::I64));
  EXPECT_EQ(loss.shape(), (Shape{0}));
}

TEST(OpsLoss, AccuracyTiesGoToTheFirstIndex) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor logits = Tensor::from_vector<double>({1, 3, 3,    // argmax 1 (tie with 2)
                                                     2, 1, 0,    // argmax 0
                                                     0, 0, 0,    // argmax 0 (all tied)
                                                     5, nan, 1,  // NaN: always wrong
                                                     0, 1, 2},   // argmax 2
                                                    {5, 3});
  EXPECT_DOUBLE_EQ(ops::accuracy(logits, Tensor::from_vector<std::int64_t>({1, 0, 0, 0, 2}, {5})),
                   0.8);
  EXPECT_DOUBLE_EQ(ops::accuracy(logits, Tensor::from_vector<std::int32_t>({2, 1, 1, 0, 2}, {5})),
                   0.2);
  EXPECT_DOUBLE_EQ(
      ops::accuracy(logits.to(DType::F32), Tensor::from_vector<std::int32_t>({1, 0, 0, 0, 1}, {5})),
      0.6);
}

TEST(OpsLoss, AccuracyIsNotRecorded) {
  Tensor logits = random_tensor({3, 4}, 9);
  logits.set_requires_grad(true);
  autograd::clear_tape();
  ops::accuracy(logits, Tensor::from_vector<std::int64_t>({0, 1, 2}, {3}));
  EXPECT_EQ(autograd::tape_size(), 0u);
}

TEST(OpsLoss, BadLabelsNameOpRowAndLabel) {
  const Tensor logits = Tensor::zeros({3, 4});
  expect_error(
      [&] {
        ops::softmax_cross_entropy(logits, Tensor::from_vector<std::int64_t>({0, 3, 4}, {3}));
      },
      {"softmax_cross_entropy", "label 4", "row 2", "[0, 4)"});
  expect_error(
      [&] {
        ops::softmax_cross_entropy(logits, Tensor::from_vector<std::int32_t>({-1, 0, 0}, {3}));
      },
      {"softmax_cross_entropy", "label -1", "row 0"});
  expect_error(
      [&] {
        ops::accuracy(logits, Tensor::from_vector<std::int32_t>({0, 9, 0}, {3}));
      },
      {"accuracy", "label 9", "row 1"});
}

TEST(OpsLoss, BadArguments) {
  const Tensor logits = Tensor::zeros({3, 4});
  const Tensor labels = Tensor::zeros({3}, DType::I64);
  expect_error([&] { ops::softmax_cross_entropy(logits, Tensor::zeros({3})); },
               {"softmax_cross_entropy", "labels", "f32"});
  expect_error(
      [&] {
        ops::softmax_cross_entropy(Tensor::zeros({3, 4}, DType::I32), labels);
      },
      {"softmax_cross_entropy", "logits", "i32"});
  expect_error([&] { ops::softmax_cross_entropy(logits, Tensor::zeros({2}, DType::I64)); },
               {"softmax_cross_entropy", "[3,4]", "[2]"});
  expect_error([&] { ops::softmax_cross_entropy(Tensor::zeros({12}), labels); },
               {"softmax_cross_entropy", "logits", "2 dimensions"});
  expect_error(
      [&] {
        ops::softmax_cross_entropy(logits, Tensor::zeros({3, 1}, DType::I64));
      },
      {"softmax_cross_entropy", "labels", "1 dimensions"});
  expect_error(
      [&] {
        ops::softmax_cross_entropy(Tensor::zeros({3, 0}), labels);
      },
      {"softmax_cross_entropy", "no classes"});
  expect_error([&] { ops::softmax_cross_entropy(logits, labels, 1.5); },
               {"softmax_cross_entropy", "label_smoothing", "1.5"});
  expect_error([&] { ops::softmax_cross_entropy(logits, labels, -0.1); },
               {"softmax_cross_entropy", "label_smoothing"});
  expect_error(
      [&] {
        ops::accuracy(Tensor::zeros({0, 4}), Tensor::zeros({0}, DType::I64));
      },
      {"accuracy", "no rows"});
}

}  // namespace
}  // namespace deepobs
