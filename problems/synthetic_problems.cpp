#include "problems/synthetic_problems.h"

#include <cmath>
#include <numbers>

#include "core/ops/elementwise.h"
#include "core/ops/linear.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/random/random_state.h"

namespace deepobs::problems {
namespace {

constexpr int kDim = 100;

// Diaconis–Shahshahani subgroup algorithm as DeepOBS runs it: grow a rotation from SO(2) to
// SO(dim) by reflecting blockdiag(1, R_d) through a random unit direction; row-major dim×dim.
std::vector<double> random_rotation(int dim, RandomState& rng) {
  const double t = 2 * std::numbers::pi * rng.uniform(0.0, 1.0);
  std::vector<double> r = {std::cos(t), std::sin(t), -std::sin(t), std::cos(t)};
  for (int d = 2; d < dim; ++d) {
    const int n = d + 1;
    std::vector<double> v = rng.normal(0.0, 1.0, static_cast<std::size_t>(n));
    double vv = 0;
    for (double a : v)
      vv += a * a;
    const double norm_v = std::sqrt(vv);
    for (double& a : v)
      a /= norm_v;
    std::vector<double> x(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
      x[i] = (i == 0 ? 1.0 : 0.0) - v[i];
    double xx = 0;
    for (double a : x)
      xx += a * a;
    const double norm_x = std::sqrt(xx);
    for (double& a : x)
      a /= norm_x;
    // D' = blockdiag(1, R); R' = D' − 2·x·(xᵀ D').
    std::vector<double> dm(static_cast<std::size_t>(n * n), 0.0);
    dm[0] = 1.0;
    for (int i = 0; i < d; ++i)
      for (int j = 0; j < d; ++j)
        dm[(i + 1) * n + (j + 1)] = r[i * d + j];
    std::vector<double> xtd(static_cast<std::size_t>(n), 0.0);
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int i = 0; i < n; ++i)
        acc += x[i] * dm[i * n + j];
      xtd[j] = acc;
    }
    r.assign(static_cast<std::size_t>(n * n), 0.0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        r[i * n + j] = dm[i * n + j] - 2 * x[i] * xtd[j];
  }
  for (double& a : r)
    a = -a;
  return r;
}

class QuadraticDeep : public ProblemModel {
 public:
  QuadraticDeep() {
    theta_ = register_parameter("theta", Tensor::ones({1, kDim}), {ParamKind::Weight, false, 0});
    const auto q = quadratic_deep_hessian();
    hessian_ = register_buffer(
        "hessian", Tensor::from_vector(std::vector<float>(q.begin(), q.end()), {kDim, kDim}));
  }
  Output forward(const datasets::Batch& batch, bool) override {
    DEEPOBS_CHECK(batch.inputs.dim() == 2 && batch.inputs.size(1) == kDim,
                  "quadratic_deep: inputs must be [B, 100], got ", batch.inputs.str());
    const Tensor diff = ops::sub(theta_, batch.inputs);  // [B, 100]
    const Tensor qd = ops::matmul(diff, hessian_);       // Q symmetric: row i = (Q d_i)ᵀ
    const Tensor losses = ops::mul_scalar(ops::sum(ops::mul(qd, diff), {1}), 0.5);
    return {losses, std::nullopt};
  }

 private:
  Tensor theta_, hessian_;
};

class TwoD : public ProblemModel {
 public:
  enum class Function { Rosenbrock, Beale, Branin };
  TwoD(Function f, double u0, double v0) : f_(f) {
    u_ = register_parameter("weight", Tensor::scalar(u0), {ParamKind::Weight, false, 0});
    v_ = register_parameter("bias", Tensor::scalar(v0), {ParamKind::Bias, false, 0});
    // Unit rows that pick the x and y columns; buffers, so they move to the model's device with
    // the parameters instead of being created (and copied to a GPU) in every step.
    select_x_ = register_buffer("select_x", Tensor::from_vector<float>({1, 0}, {1, 2}));
    select_y_ = register_buffer("select_y", Tensor::from_vector<float>({0, 1}, {1, 2}));
  }
  Output forward(const datasets::Batch& batch, bool) override {
    DEEPOBS_CHECK(batch.inputs.dim() == 2 && batch.inputs.size(1) == 2,
                  "two_d: inputs must be [B, 2], got ", batch.inputs.str());
    // Columns x and y as [B] vectors: split [B,2] by multiplying with unit rows and summing.
    const Tensor xy = batch.inputs;
    const Tensor x = ops::sum(ops::mul(xy, select_x_), {1});
    const Tensor y = ops::sum(ops::mul(xy, select_y_), {1});
    const Tensor noise = ops::add(ops::mul(u_, x), ops::mul(v_, y));  // [B]
    return {ops::add(objective(), noise), std::nullopt};
  }

 private:
  Tensor objective() const {
    using namespace ops;
    switch (f_) {
      case Function::Rosenbrock:  // (1−u)² + 100 (v − u²)²
        return add(square(add_scalar(neg(u_), 1.0)), mul_scalar(square(sub(v_, square(u_))), 100));
      case Function::Beale: {  // Σ_k (c_k − u + u·v^k)², c = 1.5, 2.25, 2.625
        const double c[] = {1.5, 2.25, 2.625};
        Tensor total, vk = v_;
        for (int k = 0; k < 3; ++k) {
          if (k > 0) vk = mul(vk, v_);
          Tensor term = square(add_scalar(add(neg(u_), mul(u_, vk)), c[k]));
          total = total.defined() ? add(total, term) : term;
        }
        return total;
      }
      case Function::Branin: {  // a (v − b u² + c u − r)² + s (1−t) cos(u) + s
        const double pi = std::numbers::pi;
        const double a = 1, bb = 5.1 / (4 * pi * pi), c = 5 / pi, r = 6, s = 10, t = 1 / (8 * pi);
        Tensor inner = add_scalar(add(sub(v_, mul_scalar(square(u_), bb)), mul_scalar(u_, c)), -r);
        return add_scalar(add(mul_scalar(square(inner), a), mul_scalar(cos(u_), s * (1 - t))), s);
      }
    }
    throw Error("two_d: unknown function");
  }

  Function f_;
  Tensor u_, v_;
  Tensor select_x_, select_y_;
};

}  // namespace

std::vector<double> quadratic_deep_hessian() {
  RandomState rng(42);
  std::vector<double> lambda = rng.uniform(0.0, 1.0, 90);
  const std::vector<double> high = rng.uniform(30.0, 60.0, 10);
  lambda.insert(lambda.end(), high.begin(), high.end());
  const std::vector<double> r = random_rotation(kDim, rng);
  // Q = Rᵀ D R, summed in the order numpy's matmul would not guarantee anyway; double precision.
  std::vector<double> q(kDim * kDim, 0.0);
  for (int i = 0; i < kDim; ++i)
    for (int j = 0; j < kDim; ++j) {
      double acc = 0;
      for (int k = 0; k < kDim; ++k)
        acc += r[k * kDim + i] * lambda[k] * r[k * kDim + j];
      q[i * kDim + j] = acc;
    }
  return q;
}

std::unique_ptr<ProblemModel> make_quadratic_deep() {
  return std::make_unique<QuadraticDeep>();
}

std::unique_ptr<ProblemModel> make_two_d(std::string_view function) {
  if (function == "rosenbrock")
    return std::make_unique<TwoD>(TwoD::Function::Rosenbrock, -0.5, 1.5);
  if (function == "beale") return std::make_unique<TwoD>(TwoD::Function::Beale, -4.5, 4.5);
  if (function == "branin") return std::make_unique<TwoD>(TwoD::Function::Branin, 2.5, 12.5);
  throw Error(cat("two_d: unknown function '", function, "' (rosenbrock, beale, branin)"));
}

}  // namespace deepobs::problems
