#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/shape.h"
#include "tests/common/expect_error.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

using testing::expect_error;

Tensor iota(const Shape& shape, double start) {
  std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
  std::iota(v.begin(), v.end(), start);
  return Tensor::from_vector(v, shape);
}

TEST(OpsShape, ReshapeInfersOneExtent) {
  const Tensor x = iota({2, 3, 4}, 0);
  const Tensor y = ops::reshape(x, {4, -1});
  EXPECT_EQ(y.shape(), (Shape{4, 6}));
  EXPECT_EQ(y.to_vector<double>(), x.to_vector<double>());
  EXPECT_TRUE(y.same_storage(x));  // a view, no copy
  EXPECT_EQ(ops::reshape(x, {-1}).shape(), (Shape{24}));
  EXPECT_EQ(ops::reshape(x, {2, -1, 2}).shape(), (Shape{2, 6, 2}));
  EXPECT_EQ(ops::reshape(Tensor::zeros({0, 5}), {-1, 5}).shape(), (Shape{0, 5}));
  EXPECT_EQ(ops::reshape(iota({1}, 3), {}).shape(), Shape{});
  // Labels reshape too.
  EXPECT_EQ(ops::reshape(Tensor::zeros({6}, DType::I64), {2, 3}).dtype(), DType::I64);
}

TEST(OpsShape, FlattenKeepsTheBatchDimension) {
  const Tensor x = iota({2, 3, 4, 5}, 0);
  const Tensor y = ops::flatten(x);
  EXPECT_EQ(y.shape(), (Shape{2, 60}));
  // Row-major: element (n, c, h, w) lands at column c·20 + h·5 + w.
  EXPECT_EQ(y.to_vector<double>()[60 + 1 * 20 + 2 * 5 + 3], 60 + 1 * 20 + 2 * 5 + 3);
  EXPECT_EQ(ops::flatten(iota({7}, 0)).shape(), (Shape{7, 1}));
  EXPECT_EQ(ops::flatten(iota({3, 2}, 0)).shape(), (Shape{3, 2}));
}

TEST(OpsShape, ConcatAlongChannels) {
  // Two NCHW maps with 1 and 2 channels of 2×1 pixels, batch 2.
  const Tensor a = iota({2, 1, 2, 1}, 0);    // n0: 0 1 | n1: 2 3
  const Tensor b = iota({2, 2, 2, 1}, 100);  // n0: 100..103 | n1: 104..107
  const Tensor y = ops::concat({a, b}, 1);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2, 1}));
  EXPECT_EQ(y.to_vector<double>(),
            (std::vector<double>{0, 1, 100, 101, 102, 103, 2, 3, 104, 105, 106, 107}));
  EXPECT_EQ(ops::concat({b, a}, -3).to_vector<double>(),
            (std::vector<double>{100, 101, 102, 103, 0, 1, 104, 105, 106, 107, 2, 3}));
}

TEST(OpsShape, ConcatOtherAxesAndDtypes) {
  const Tensor a = iota({2, 2}, 0), b = iota({1, 2}, 10), c = iota({2, 1}, 20);
  EXPECT_EQ(ops::concat({a, b}, 0).to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 10, 11}));
  EXPECT_EQ(ops::concat({a, c}, -1).to_vector<double>(), (std::vector<double>{0, 1, 20, 2, 3, 21}));
  const Tensor single = ops::concat({a}, 1);
  EXPECT_EQ(single.to_vector<double>(), a.to_vector<double>());
  EXPECT_FALSE(single.same_storage(a));
  // An empty slice contributes nothing.
  EXPECT_EQ(ops::concat({a, Tensor::zeros({2, 0}, DType::F64)}, 1).shape(), (Shape{2, 2}));
  const Tensor l1 = Tensor::from_vector<std::int32_t>({1, 2}, {2});
  const Tensor l2 = Tensor::from_vector<std::int32_t>({3}, {1});
  EXPECT_EQ(ops::concat({l1, l2}, 0).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{1, 2, 3}));
}

TEST(OpsShape, ConcatGradientSlicesByHand) {
  Tensor a = iota({1, 2}, 0), b = iota({1, 3}, 0);
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  autograd::backward(ops::concat({a, b}, 1), Tensor::from_vector<double>({1, 2, 3, 4, 5}, {1, 5}));
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{1, 2}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{3, 4, 5}));
}

TEST(OpsShape, ReshapeErrors) {
  const Tensor x = Tensor::zeros({2, 3});
  expect_error([&] { ops::reshape(x, {4, 2}); }, {"reshape", "[2,3]", "[4,2]"});
  expect_error([&] { ops::reshape(x, {-1, -1}); }, {"reshape", "more than one -1"});
  expect_error([&] { ops::reshape(x, {4, -1}); }, {"reshape", "[2,3]", "[4,-1]"});
  expect_error([&] { ops::reshape(x, {-2, -3}); }, {"reshape", "negative extent"});
  expect_error([&] { ops::reshape(Tensor::zeros({0, 3}), {0, -1}); }, {"reshape", "[0,-1]"});
  expect_error([] { ops::flatten(Tensor::scalar(1.0)); }, {"flatten", "scalar"});
}

TEST(OpsShape, ConcatErrors) {
  const Tensor a = Tensor::zeros({2, 3, 4, 4});
  expect_error([] { ops::concat({}, 0); }, {"concat", "at least one"});
  expect_error(
      [&] {
        ops::concat({a, Tensor::zeros({2, 5, 3, 4})}, 1);
      },
      {"concat", "[2,3,4,4]", "[2,5,3,4]", "axis 1"});
  expect_error(
      [&] {
        ops::concat({a, Tensor::zeros({2, 3, 4})}, 1);
      },
      {"concat", "[2,3,4,4]", "[2,3,4]"});
  expect_error(
      [&] {
        ops::concat({a, Tensor::zeros({2, 3, 4, 4}, DType::F64)}, 1);
      },
      {"concat", "f32", "f64"});
  expect_error([&] { ops::concat({a, a}, 4); }, {"concat", "axis 4", "out of range"});
  expect_error([&] { ops::concat({a, a}, -5); }, {"concat", "axis -5"});
  expect_error(
      [] {
        ops::concat({Tensor::scalar(1.0), Tensor::scalar(2.0)}, 0);
      },
      {"concat", "scalars"});
}

}  // namespace
}  // namespace deepobs
