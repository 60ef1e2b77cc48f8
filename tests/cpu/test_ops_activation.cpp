#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/activation.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

using testing::random_tensor;

// The gradient of sum(f(x)) at the given points.
std::vector<double> derivative(const std::function<Tensor(const Tensor&)>& f,
                               const std::vector<double>& points) {
  Tensor x = Tensor::from_vector(points, {static_cast<std::int64_t>(points.size())});
  x.set_requires_grad(true);
  autograd::backward(f(x), Tensor::ones(x.shape(), DType::F64));
  return x.grad().to_vector<double>();
}

TEST(OpsActivation, ReluHandComputed) {
  const Tensor x = Tensor::from_vector<float>({-2, -0.5f, 0, 1.5f}, {2, 2});
  EXPECT_EQ(ops::relu(x).shape(), (Shape{2, 2}));
  EXPECT_EQ(ops::relu(x).to_vector<float>(), (std::vector<float>{0, 0, 0, 1.5f}));
  EXPECT_EQ(derivative([](const Tensor& t) { return ops::relu(t); }, {-2, 0, 3}),
            (std::vector<double>{0, 0, 1}));  // 0 at the kink, as TF's ReluGrad
}

TEST(OpsActivation, LeakyReluHandComputed) {
  // SPEC §3.5: max(x, 0.3x).
  const Tensor x = Tensor::from_vector<double>({-2, -0.5, 0, 1.5}, {4});
  const auto y = ops::leaky_relu(x, 0.3).to_vector<double>();
  EXPECT_DOUBLE_EQ(y[0], -0.6);
  EXPECT_DOUBLE_EQ(y[1], -0.15);
  EXPECT_EQ(y[2], 0.0);
  EXPECT_EQ(y[3], 1.5);
  EXPECT_EQ(derivative([](const Tensor& t) { return ops::leaky_relu(t, 0.3); }, {-2, 0, 3}),
            (std::vector<double>{0.3, 1, 1}));  // 1 at the tie, as tf.maximum
  // Slope 0 is a ReLU forward, but the derivative at 0 keeps leaky_relu's convention.
  EXPECT_EQ(ops::leaky_relu(x, 0.0).to_vector<double>(), (std::vector<double>{0, 0, 0, 1.5}));
  EXPECT_EQ(derivative([](const Tensor& t) { return ops::leaky_relu(t, 0.0); }, {-2, 0, 3}),
            (std::vector<double>{0, 1, 1}));
  const auto yf = ops::leaky_relu(x.to(DType::F32), 0.3).to_vector<float>();
  EXPECT_EQ(yf[0], -2.0f * 0.3f);
}

TEST(OpsActivation, SigmoidAndTanhHandComputed) {
  const Tensor x = Tensor::from_vector<double>({0, 1, -2}, {3});
  const auto s = ops::sigmoid(x).to_vector<double>();
  EXPECT_EQ(s[0], 0.5);
  EXPECT_NEAR(s[1], 0.7310585786300049, 1e-15);
  EXPECT_NEAR(s[2], 0.11920292202211755, 1e-15);
  const auto t = ops::tanh(x).to_vector<double>();
  EXPECT_EQ(t[0], 0.0);
  EXPECT_NEAR(t[1], 0.7615941559557649, 1e-15);
  EXPECT_NEAR(t[2], -0.9640275800758169, 1e-15);
  EXPECT_NEAR(derivative([](const Tensor& v) { return ops::sigmoid(v); }, {0})[0], 0.25, 1e-15);
  EXPECT_NEAR(derivative([](const Tensor& v) { return ops::tanh(v); }, {0})[0], 1.0, 1e-15);
}

TEST(OpsActivation, SaturationWithoutOverflow) {
  const Tensor x = Tensor::from_vector<float>({-200, -90, 90, 200}, {4});
  const auto s = ops::sigmoid(x).to_vector<float>();
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_GE(s[1], 0.0f);
  EXPECT_LT(s[1], 1e-30f);
  EXPECT_EQ(s[2], 1.0f);
  EXPECT_EQ(s[3], 1.0f);
  const auto t = ops::tanh(x).to_vector<float>();
  EXPECT_EQ(t[0], -1.0f);
  EXPECT_EQ(t[3], 1.0f);
}

TEST(OpsActivation, NanPropagates) {
  // 17 elements: the vectorised body and the scalar tail of the kernels both see a NaN.
  const Tensor x = Tensor::full({17}, std::numeric_limits<double>::quiet_NaN(), DType::F64);
  for (const DType dt : {DType::F64, DType::F32}) {
    const Tensor xt = x.to(dt);
    for (const Tensor& y :
         {ops::relu(xt), ops::leaky_relu(xt, 0.3), ops::sigmoid(xt), ops::tanh(xt)}) {
      for (const double v : y.to_vector<double>())
        EXPECT_TRUE(std::isnan(v)) << dtype_name(dt);
    }
  }
}

TEST(OpsActivation, BadArguments) {
  const Tensor x = Tensor::zeros({2});
  for (const double slope : {1.0, 1.5, -0.1, std::numeric_limits<double>::quiet_NaN()}) {
    try {
      ops::leaky_relu(x, slope);
      ADD_FAILURE() << "slope " << slope << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("leaky_relu: slope"), std::string::npos) << e.what();
    }
  }
  const Tensor i = Tensor::zeros({2}, DType::I64);
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> ops_by_name = {
      {"relu", [](const Tensor& t) { return ops::relu(t); }},
      {"leaky_relu", [](const Tensor& t) { return ops::leaky_relu(t, 0.3); }},
      {"sigmoid", [](const Tensor& t) { return ops::sigmoid(t); }},
      {"tanh", [](const Tensor& t) { return ops::tanh(t); }},
  };
  for (const auto& [name, f] : ops_by_name) {
    try {
      f(i);
      ADD_FAILURE() << name << " accepted an i64 input";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(name + ":"), std::string::npos) << msg;
      EXPECT_NE(msg.find("i64"), std::string::npos) << msg;
    }
  }
}

}  // namespace
}  // namespace deepobs
