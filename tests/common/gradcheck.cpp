#include "tests/common/gradcheck.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/autograd.h"

namespace deepobs::testing {
namespace {

double objective(const TensorFn& f, const std::vector<Tensor>& inputs, const Tensor& r) {
  autograd::NoGrad guard;
  const Tensor y = f(inputs);
  EXPECT_EQ(y.shape(), r.shape());
  const auto yv = y.to_vector<double>();
  const auto rv = r.to_vector<double>();
  double acc = 0.0;
  for (std::size_t i = 0; i < yv.size(); ++i)
    acc += yv[i] * rv[i];
  return acc;
}

}  // namespace

Tensor random_tensor(const Shape& shape, unsigned seed, double lo, double hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
  for (auto& x : v)
    x = dist(gen);
  return Tensor::from_vector(v, shape);
}

void check_gradients(const std::string& name, const TensorFn& f, const std::vector<Tensor>& inputs,
                     std::vector<bool> differentiable, GradCheckOptions options) {
  if (differentiable.empty()) differentiable.assign(inputs.size(), true);
  ASSERT_EQ(differentiable.size(), inputs.size()) << name;

  std::vector<Tensor> xs;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    Tensor x = inputs[k].clone();
    if (differentiable[k]) {
      ASSERT_EQ(x.dtype(), DType::F64) << name << ": input " << k << " must be f64";
      x.set_requires_grad(true);
    }
    xs.push_back(x);
  }

  autograd::clear_tape();
  const Tensor y = f(xs);
  ASSERT_TRUE(y.requires_grad()) << name << ": output does not require gradients";
  const Tensor r = random_tensor(y.shape(), options.seed, -1.0, 1.0);
  autograd::backward(y, r);
  EXPECT_EQ(autograd::tape_size(), 0u) << name << ": backward left nodes on the tape";

  const double h = options.step;
  for (std::size_t k = 0; k < xs.size(); ++k) {
    if (!differentiable[k]) continue;
    Tensor analytic = xs[k].grad();
    ASSERT_TRUE(analytic.defined()) << name << ": input " << k << " received no gradient";
    const auto a = analytic.to_vector<double>();
    double* p = xs[k].data<double>();
    const double j0 = objective(f, xs, r);
    int checked = 0, skipped = 0, failures = 0;
    for (std::int64_t i = 0; i < xs[k].numel(); ++i) {
      const double orig = p[i];
      p[i] = orig + h;
      const double jp = objective(f, xs, r);
      p[i] = orig - h;
      const double jm = objective(f, xs, r);
      p[i] = orig;
      const double forward = (jp - j0) / h, backward_d = (j0 - jm) / h;
      const double scale = std::max({1.0, std::abs(forward), std::abs(backward_d)});
      if (std::abs(forward - backward_d) > options.kink_threshold * scale) {
        ++skipped;
        continue;
      }
      ++checked;
      const double numeric = (jp - jm) / (2 * h);
      const double err =
          std::abs(a[i] - numeric) / std::max({1.0, std::abs(a[i]), std::abs(numeric)});
      if (err > options.tolerance && failures++ < 10) {
        ADD_FAILURE() << name << ": input " << k << " element " << i << ": analytic " << a[i]
                      << " vs numeric " << numeric << " (relative error " << err << ")";
      }
    }
    EXPECT_GT(checked, 0) << name << ": input " << k << " had no checkable coordinate";
    EXPECT_LE(skipped * 4, checked + skipped)
        << name << ": input " << k << ": " << skipped << " of " << checked + skipped
        << " coordinates sit on kinks; move the test inputs away from them";
  }
}

}  // namespace deepobs::testing
