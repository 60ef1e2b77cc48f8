#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "tests/common/expect_error.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

using testing::expect_error;
using testing::random_tensor;

// Reference broadcast written independently of the kernels: for every output index, find each
// operand's element by dropping the index where the operand's extent is 1.
std::vector<double> reference_broadcast(const Tensor& a, const Tensor& b, const Shape& out,
                                        const std::function<double(double, double)>& f) {
  const auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  const std::size_t rank = out.size();
  auto offset = [&](const Shape& s, const std::vector<std::int64_t>& idx) {
    const std::size_t lead = rank - s.size();
    std::int64_t off = 0;
    for (std::size_t d = 0; d < s.size(); ++d)
      off = off * s[d] + (s[d] == 1 ? 0 : idx[lead + d]);
    return off;
  };
  std::vector<double> result;
  std::vector<std::int64_t> idx(rank, 0);
  for (std::int64_t i = 0; i < shape_numel(out); ++i) {
    std::int64_t rem = i;
    for (std::size_t d = rank; d-- > 0;) {
      idx[d] = rem % out[d];
      rem /= out[d];
    }
    result.push_back(f(av[static_cast<std::size_t>(offset(a.shape(), idx))],
                       bv[static_cast<std::size_t>(offset(b.shape(), idx))]));
  }
  return result;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << "element " << i;
}

TEST(OpsElementwise, BroadcastShapes) {
  EXPECT_EQ(ops::broadcast_shape("t", {2, 3}, {3}), (Shape{2, 3}));
  EXPECT_EQ(ops::broadcast_shape("t", {2, 1, 4}, {3, 1}), (Shape{2, 3, 4}));
  EXPECT_EQ(ops::broadcast_shape("t", {}, {2, 3}), (Shape{2, 3}));
  EXPECT_EQ(ops::broadcast_shape("t", {1}, {0}), (Shape{0}));
  EXPECT_EQ(ops::broadcast_shape("t", {5, 1, 1}, {1, 4}), (Shape{5, 1, 4}));
}

TEST(OpsElementwise, AddRowVectorHandComputed) {
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_vector<float>({10, 20, 30}, {3});
  EXPECT_EQ(ops::add(a, b).shape(), (Shape{2, 3}));
  EXPECT_EQ(ops::add(a, b).to_vector<float>(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(ops::sub(b, a).to_vector<float>(), (std::vector<float>{9, 18, 27, 6, 15, 24}));
  EXPECT_EQ(ops::mul(a, b).to_vector<float>(), (std::vector<float>{10, 40, 90, 40, 100, 180}));
  EXPECT_EQ(ops::div(b, a).to_vector<float>(), (std::vector<float>{10, 10, 10, 2.5f, 4, 5}));
}

TEST(OpsElementwise, OuterProductPatternHandComputed) {
  // [2,1] * [1,3] -> [2,3]: both operands repeated, each along a different dimension.
  const Tensor a = Tensor::from_vector<double>({2, 3}, {2, 1});
  const Tensor b = Tensor::from_vector<double>({1, 10, 100}, {1, 3});
  EXPECT_EQ(ops::mul(a, b).to_vector<double>(), (std::vector<double>{2, 20, 200, 3, 30, 300}));
  EXPECT_EQ(ops::sub(a, b).to_vector<double>(), (std::vector<double>{1, -8, -98, 2, -7, -97}));
}

TEST(OpsElementwise, ScalarOperandsBothSides) {
  const Tensor x = Tensor::from_vector<double>({1, 2, 4}, {3});
  const Tensor s = Tensor::scalar(8.0, DType::F64);
  EXPECT_EQ(ops::div(x, s).to_vector<double>(), (std::vector<double>{0.125, 0.25, 0.5}));
  EXPECT_EQ(ops::div(s, x).to_vector<double>(), (std::vector<double>{8, 4, 2}));
  EXPECT_EQ(ops::sub(s, x).to_vector<double>(), (std::vector<double>{7, 6, 4}));
  EXPECT_EQ(ops::pow(s, x).to_vector<double>(), (std::vector<double>{8, 64, 4096}));
  EXPECT_EQ(ops::pow(x, s).to_vector<double>(), (std::vector<double>{1, 256, 65536}));
  // A one-element operand of higher rank still broadcasts and sets the result's rank.
  const Tensor one = Tensor::from_vector<double>({3}, {1, 1});
  EXPECT_EQ(ops::add(x, one).shape(), (Shape{1, 3}));
  EXPECT_EQ(ops::add(x, one).to_vector<double>(), (std::vector<double>{4, 5, 7}));
  EXPECT_EQ(ops::add(s, s).shape(), Shape{});
  EXPECT_EQ(ops::add(s, s).item(), 16.0);
}

TEST(OpsElementwise, GeneralBroadcastMatchesReference) {
  struct Case {
    Shape a, b;
  };
  const std::vector<Case> cases = {
      {{2, 1, 4}, {3, 1}},
      {{3, 1}, {2, 1, 4}},
      {{2, 3, 4, 5}, {3, 1, 1}},
      {{2, 3, 4, 5}, {1, 3, 1, 5}},
      {{4, 1, 6}, {4, 5, 1}},
      {{1, 3, 1, 2}, {2, 1, 4, 1}},
      {{5}, {2, 3, 1}},
      {{2, 3}, {2, 3}},
      {{0, 3}, {3}},
  };
  const std::vector<std::pair<const char*, std::function<double(double, double)>>> fns = {
      {"add", [](double u, double v) { return u + v; }},
      {"sub", [](double u, double v) { return u - v; }},
      {"mul", [](double u, double v) { return u * v; }},
      {"div", [](double u, double v) { return u / v; }},
      {"pow", [](double u, double v) { return std::pow(u, v); }},
  };
  unsigned seed = 1;
  for (const auto& c : cases) {
    const Tensor a = random_tensor(c.a, seed++, 0.5, 2.0);
    const Tensor b = random_tensor(c.b, seed++, 0.5, 2.0);
    const Shape out = ops::broadcast_shape("test", c.a, c.b);
    const std::vector<Tensor> results = {ops::add(a, b), ops::sub(a, b), ops::mul(a, b),
                                         ops::div(a, b), ops::pow(a, b)};
    for (std::size_t k = 0; k < fns.size(); ++k) {
      SCOPED_TRACE(std::string(fns[k].first) + " " + shape_str(c.a) + " " + shape_str(c.b));
      EXPECT_EQ(results[k].shape(), out);
      expect_near_all(results[k].to_vector<double>(), reference_broadcast(a, b, out, fns[k].second),
                      1e-15);
    }
  }
}

TEST(OpsElementwise, Float32MatchesFloat64) {
  const Tensor a = random_tensor({4, 1, 6}, 3, 0.5, 2.0);
  const Tensor b = random_tensor({5, 1}, 4, 0.5, 2.0);
  const Tensor af = a.to(DType::F32), bf = b.to(DType::F32);
  expect_near_all(ops::div(af, bf).to_vector<double>(), ops::div(a, b).to_vector<double>(), 1e-6);
  expect_near_all(ops::pow(af, bf).to_vector<double>(), ops::pow(a, b).to_vector<double>(), 1e-6);
  expect_near_all(ops::exp(af).to_vector<double>(), ops::exp(a).to_vector<double>(), 1e-6);
  expect_near_all(ops::log(af).to_vector<double>(), ops::log(a).to_vector<double>(), 1e-6);
  EXPECT_EQ(ops::add(af, bf).dtype(), DType::F32);
}

TEST(OpsElementwise, UnaryHandComputed) {
  const Tensor x = Tensor::from_vector<double>({0.25, 1, 4}, {3});
  EXPECT_EQ(ops::neg(x).to_vector<double>(), (std::vector<double>{-0.25, -1, -4}));
  EXPECT_EQ(ops::square(x).to_vector<double>(), (std::vector<double>{0.0625, 1, 16}));
  EXPECT_EQ(ops::sqrt(x).to_vector<double>(), (std::vector<double>{0.5, 1, 2}));
  EXPECT_EQ(ops::pow(x, 1.5).to_vector<double>(), (std::vector<double>{0.125, 1, 8}));
  EXPECT_EQ(ops::pow(x, 0.0).to_vector<double>(), (std::vector<double>{1, 1, 1}));
  expect_near_all(ops::exp(x).to_vector<double>(), {std::exp(0.25), std::exp(1.0), std::exp(4.0)},
                  1e-15);
  expect_near_all(ops::log(x).to_vector<double>(), {std::log(0.25), 0.0, std::log(4.0)}, 1e-15);
  EXPECT_EQ(ops::add_scalar(x, -1).to_vector<double>(), (std::vector<double>{-0.75, 0, 3}));
  EXPECT_EQ(ops::mul_scalar(x, -2).to_vector<double>(), (std::vector<double>{-0.5, -2, -8}));
  // IEEE semantics, nothing masked.
  const Tensor edge = Tensor::from_vector<double>({0, -1}, {2});
  EXPECT_TRUE(std::isinf(ops::log(edge).to_vector<double>()[0]));
  EXPECT_TRUE(std::isnan(ops::log(edge).to_vector<double>()[1]));
  EXPECT_TRUE(std::isnan(ops::sqrt(edge).to_vector<double>()[1]));
}

TEST(OpsElementwise, LongInputsUseEveryChunk) {
  // Longer than one parallel chunk (2^15) and not a multiple of it: every element must still be
  // computed, including the ragged tail.
  const std::int64_t n = (std::int64_t{1} << 16) + 37;
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(i % 1000) * 0.001f - 0.5f;
  const Tensor x = Tensor::from_vector(v, {n});
  const auto e = ops::exp(x).to_vector<float>();
  const auto s = ops::add(x, x).to_vector<float>();
  const auto m = ops::mul_scalar(x, 3.0).to_vector<float>();
  for (std::size_t i = 0; i < v.size(); ++i) {
    ASSERT_NEAR(e[i], std::exp(v[i]), 4e-7f * std::exp(v[i])) << i;
    ASSERT_EQ(s[i], v[i] + v[i]) << i;
    ASSERT_EQ(m[i], v[i] * 3.0f) << i;
  }
}

TEST(OpsElementwise, BroadcastGradientIsSummedToOperandShape) {
  Tensor a = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector<double>({10, 20, 30}, {3});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  autograd::backward(ops::mul(a, b), Tensor::ones({2, 3}, DType::F64));
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{10, 20, 30, 10, 20, 30}));
  EXPECT_EQ(b.grad().shape(), (Shape{3}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{5, 7, 9}));

  Tensor s = Tensor::scalar(2.0, DType::F64);
  s.set_requires_grad(true);
  autograd::backward(ops::sub(a, s), Tensor::ones({2, 3}, DType::F64));
  EXPECT_EQ(s.grad().shape(), Shape{});
  EXPECT_EQ(s.grad().item(), -6.0);
}

TEST(OpsElementwise, OnlyRequestedGradientsAreComputed) {
  Tensor a = random_tensor({2, 3}, 5);
  const Tensor b = random_tensor({3}, 6);
  a.set_requires_grad(true);
  autograd::backward(ops::div(a, b), Tensor::ones({2, 3}, DType::F64));
  EXPECT_TRUE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());

  // mul keeps only the operand the wanted gradient reads; the result must still be exact.
  Tensor c = Tensor::from_vector<double>({1, 2, 3}, {3});
  const Tensor d = Tensor::from_vector<double>({4, 5, 6}, {3});
  c.set_requires_grad(true);
  autograd::backward(ops::mul(d, c), Tensor::ones({3}, DType::F64));
  EXPECT_EQ(c.grad().to_vector<double>(), (std::vector<double>{4, 5, 6}));
  EXPECT_FALSE(d.grad().defined());
}

TEST(OpsElementwise, TrigonometryHandComputed) {
  const double pi = 3.14159265358979323846;
  const Tensor x = Tensor::from_vector<double>({0, pi / 6, pi / 2, pi}, {4});
  const auto s = ops::sin(x).to_vector<double>();
  const auto c = ops::cos(x).to_vector<double>();
  const double want_s[] = {0, 0.5, 1, 0}, want_c[] = {1, std::sqrt(3.0) / 2, 0, -1};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(s[i], want_s[i], 1e-15) << i;
    EXPECT_NEAR(c[i], want_c[i], 1e-15) << i;
  }
}

TEST(OpsElementwise, PowZeroExponentHasZeroGradientAtZero) {
  Tensor x = Tensor::from_vector<double>({0, 2}, {2});
  x.set_requires_grad(true);
  autograd::backward(ops::pow(x, 0.0), Tensor::ones({2}, DType::F64));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0}));
}

TEST(OpsElementwise, BroadcastToAndSumTo) {
  const Tensor x = Tensor::from_vector<double>({1, 2, 3}, {3, 1});
  const Tensor y = ops::broadcast_to(x, {2, 3, 2});
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  const Tensor z = ops::sum_to(y, {3, 1});
  EXPECT_EQ(z.to_vector<double>(), (std::vector<double>{4, 8, 12}));
  EXPECT_EQ(ops::sum_to(y, {2, 1, 1}).to_vector<double>(), (std::vector<double>{12, 12}));
  EXPECT_EQ(ops::sum_to(y, {}).item(), 24.0);
  // Equal shapes still give a fresh tensor, never an alias of the input.
  EXPECT_FALSE(ops::broadcast_to(x, {3, 1}).same_storage(x));
  EXPECT_FALSE(ops::sum_to(x, {3, 1}).same_storage(x));
}

TEST(OpsElementwise, MismatchedShapesNameOpAndBothShapes) {
  const Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  expect_error([&] { ops::add(a, b); }, {"add: shapes [2,3] and [4] cannot be broadcast"});
  expect_error([&] { ops::sub(a, b); }, {"sub:", "[2,3]", "[4]"});
  expect_error([&] { ops::mul(b, a); }, {"mul:", "[4]", "[2,3]"});
  expect_error([&] { ops::div(a, Tensor::zeros({3, 3})); }, {"div:", "[2,3]", "[3,3]"});
  expect_error([&] { ops::pow(a, b); }, {"pow:", "[2,3]", "[4]"});
  expect_error([&] { ops::broadcast_to(a, {3}); }, {"broadcast_to", "[2,3]", "[3]"});
  expect_error([&] { ops::broadcast_to(a, {4, 3}); }, {"broadcast_to", "[2,3]", "[4,3]"});
  expect_error([&] { ops::sum_to(a, {1, 2, 3}); }, {"sum_to", "[2,3]", "[1,2,3]"});
}

TEST(OpsElementwise, DtypeErrors) {
  const Tensor i = Tensor::zeros({3}, DType::I32);
  expect_error([&] { ops::exp(i); }, {"exp", "i32"});
  expect_error([&] { ops::log(i); }, {"log", "i32"});
  expect_error([&] { ops::pow(i, 2.0); }, {"pow", "i32"});
  expect_error([&] { ops::add_scalar(i, 1.0); }, {"add_scalar", "i32"});
  expect_error([&] { ops::add(i, i); }, {"add", "i32"});
  expect_error([&] { ops::mul(Tensor::zeros({3}), Tensor::zeros({3}, DType::F64)); },
               {"mul", "f32[3]", "f64[3]"});
  expect_error([&] { ops::add(Tensor(), Tensor::zeros({3})); }, {"add", "undefined"});
}

}  // namespace
}  // namespace deepobs
