// CUDA elementwise, activation and broadcasting ops against their CPU twins, forward and backward.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "op_twin.h"
#include "tests/common/expect_error.h"
#include "twin.h"

namespace deepobs {
namespace {

using twin::expect_op_twin;
using twin::random_tensor;
using V = std::vector<Tensor>;

// +, −, ×, ÷ are single correctly rounded IEEE operations on both sides and the CUDA files are
// compiled without FMA contraction, so they agree bit for bit.
constexpr double kExact = 0.0;
// CUDA's libdevice exp/log/tanh/sin/cos/pow and the CPU's Eigen/glibc versions are each within a
// few ulp (f32 ulp ≈ 6e-8 relative) of the true value, so they may differ by a few ulp; chained
// through a backward formula that becomes ~1e-6 relative.
constexpr double kLibmRtol = 2e-6;
// sin/cos near a zero crossing: the relative error is unbounded, the absolute one is ~1 ulp of the
// argument's magnitude.
constexpr double kLibmAtol = 1e-6;

TEST(CudaElementwise, UnaryOpsForwardAndBackward) {
  SKIP_WITHOUT_GPU();
  const Shape s{37, 129};  // not a multiple of any block size
  const Tensor any = random_tensor(s, 1, -3.0, 3.0);
  const Tensor positive = random_tensor(s, 2, 0.1, 4.0);
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> f;
    Tensor input;
    double rtol, atol;
  };
  const std::vector<Case> cases = {
      {"neg", [](const Tensor& x) { return ops::neg(x); }, any, kExact, 0.0},
      {"square", [](const Tensor& x) { return ops::square(x); }, any, kExact, 0.0},
      // Eigen's default EIGEN_FAST_MATH computes f32 sqrt on AVX as rsqrt plus one Newton step
      // (1-2 bits short of correct rounding); CUDA's sqrtf is correctly rounded.
      {"sqrt", [](const Tensor& x) { return ops::sqrt(x); }, positive, kLibmRtol, 0.0},
      {"relu", [](const Tensor& x) { return ops::relu(x); }, any, kExact, 0.0},
      {"leaky_relu", [](const Tensor& x) { return ops::leaky_relu(x, 0.2); }, any, kExact, 0.0},
      {"exp", [](const Tensor& x) { return ops::exp(x); }, any, kLibmRtol, kLibmAtol},
      {"log", [](const Tensor& x) { return ops::log(x); }, positive, kLibmRtol, kLibmAtol},
      {"sigmoid", [](const Tensor& x) { return ops::sigmoid(x); }, any, kLibmRtol, kLibmAtol},
      {"tanh", [](const Tensor& x) { return ops::tanh(x); }, any, kLibmRtol, kLibmAtol},
      {"sin", [](const Tensor& x) { return ops::sin(x); }, any, kLibmRtol, kLibmAtol},
      {"cos", [](const Tensor& x) { return ops::cos(x); }, any, kLibmRtol, kLibmAtol},
      {"pow 2.5", [](const Tensor& x) { return ops::pow(x, 2.5); }, positive, kLibmRtol, kLibmAtol},
      {"pow 0", [](const Tensor& x) { return ops::pow(x, 0.0); }, positive, kExact, 0.0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_op_twin([&](const V& in) { return c.f(in[0]); }, {c.input}, c.rtol, c.atol,
                   c.rtol == 0.0 ? "basic IEEE operations only" : "math-library ulp differences");
  }
}

TEST(CudaElementwise, ReluAndLeakyReluTieAndNanRules) {
  SKIP_WITHOUT_GPU();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::from_vector<float>({-2.0f, 0.0f, 3.0f, nan, -0.5f}, {5});
  for (const double slope : {0.0, 0.1}) {
    Tensor c = x.clone(), g = x.to(Device::cuda(0));
    c.set_requires_grad(true);
    g.set_requires_grad(true);
    const Tensor yc = slope == 0.0 ? ops::relu(c) : ops::leaky_relu(c, slope);
    const Tensor yg = slope == 0.0 ? ops::relu(g) : ops::leaky_relu(g, slope);
    twin::expect_identical(yg, yc, "forward (NaN stays NaN)");
    const Tensor seed = Tensor::from_vector<float>({1.5f, 2.0f, -1.0f, 0.5f, 3.0f}, {5});
    autograd::backward(yc, seed);
    autograd::backward(yg, seed.to(Device::cuda(0)));
    // relu: TF's ReluGrad (0 at x = 0); leaky relu: slope 1 at x = 0.
    twin::expect_identical(g.grad(), c.grad(), "backward tie rule");
  }
}

TEST(CudaElementwise, BinaryOpsWithBroadcasting) {
  SKIP_WITHOUT_GPU();
  struct Shapes {
    Shape a, b;
  };
  const std::vector<Shapes> shapes = {
      {{33, 17}, {33, 17}},                            // same shape
      {{33, 17}, {17}},                                // row vector
      {{8, 3, 5, 7}, {3, 1, 1}},                       // per-channel
      {{4, 1, 6}, {1, 5, 1}},                          // both operands repeated
      {{}, {9, 4}},                                    // scalar left
      {{9, 4}, {1}},                                   // one-element right
      {{2, 1, 3, 1, 2, 1, 3}, {1, 4, 1, 5, 1, 2, 1}},  // alternating: rank 7 after merging
  };
  const auto binary = [](const char* name) -> std::function<Tensor(const V&)> {
    const std::string n = name;
    if (n == "add") return [](const V& v) { return ops::add(v[0], v[1]); };
    if (n == "sub") return [](const V& v) { return ops::sub(v[0], v[1]); };
    if (n == "mul") return [](const V& v) { return ops::mul(v[0], v[1]); };
    if (n == "div") return [](const V& v) { return ops::div(v[0], v[1]); };
    return [](const V& v) { return ops::pow(v[0], v[1]); };
  };
  std::uint64_t seed = 10;
  for (const auto& s : shapes) {
    for (const char* name : {"add", "sub", "mul", "div", "pow"}) {
      SCOPED_TRACE(std::string(name) + " " + shape_str(s.a) + " " + shape_str(s.b));
      const bool is_pow = std::string(name) == "pow";
      // pow needs a positive base; div a divisor away from 0.
      const Tensor a = random_tensor(s.a, seed++, is_pow ? 0.2 : -2.0, 2.0);
      const Tensor b = random_tensor(s.b, seed++, 0.3, 2.0);
      // Forward values are exact except for pow; the gradients of broadcast operands are sums
      // (double accumulation in a different order: one final f32 rounding may differ) and pow's
      // gradients go through powf/logf.
      // pow's broadcast gradients sum up to ~100 terms that each carry a libm ulp difference,
      // with cancellation (random-sign seed gradient): hence the larger absolute tolerance.
      expect_op_twin(binary(name), {a, b}, is_pow ? kLibmRtol : 1e-6, is_pow ? 1e-5 : 1e-6,
                     "exact arithmetic; gradient sums in a different order; libm for pow");
    }
  }
}

TEST(CudaElementwise, ScalarOpsAndBroadcastTo) {
  SKIP_WITHOUT_GPU();
  const Tensor x = random_tensor({5, 1, 7}, 3);
  expect_op_twin([](const V& v) { return ops::add_scalar(v[0], 0.37); }, {x}, kExact, 0.0,
                 "one IEEE addition");
  expect_op_twin([](const V& v) { return ops::mul_scalar(v[0], -1.7); }, {x}, kExact, 0.0,
                 "one IEEE multiplication");
  expect_op_twin(
      [](const V& v) {
        return ops::broadcast_to(v[0], {3, 5, 4, 7});
      },
      {x}, 1e-6, 1e-7, "copies forward; the gradient sums 12 terms per element in double");
  const Tensor big = random_tensor({6, 5, 4, 7}, 4);
  expect_op_twin(
      [](const V& v) {
        return ops::sum_to(v[0], {5, 1, 7});
      },
      {big}, 1e-6, 1e-7, "double sums in a different order, rounded once to f32");
}

TEST(CudaElementwise, MixingDevicesNamesBothDevices) {
  SKIP_WITHOUT_GPU();
  const Tensor a = random_tensor({4}, 1);
  const Tensor b = random_tensor({4}, 2).to(Device::cuda(0));
  testing::expect_error([&] { ops::add(a, b); }, {"add", "cpu", "cuda:0"});
  testing::expect_error([&] { ops::mul(b, a); }, {"mul", "cpu", "cuda:0"});
}

TEST(CudaElementwise, F64OnTheGpuIsAClearError) {
  SKIP_WITHOUT_GPU();
  const Tensor x = random_tensor({4}, 1).to(DType::F64).to(Device::cuda(0));
  testing::expect_error([&] { ops::exp(x); }, {"exp", "f32", "f64[4] on cuda:0"});
  testing::expect_error([&] { ops::add(x, x); }, {"add", "f32", "f64"});
}

}  // namespace
}  // namespace deepobs
