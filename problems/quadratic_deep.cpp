// quadratic_deep (SPEC §3.11): a 100-D noisy quadratic whose Hessian has a deep-learning-like
// eigenspectrum, drawn from numpy's RandomState(42) exactly as DeepOBS draws it.
#include <cmath>
#include <numbers>

#include "core/ops/elementwise.h"
#include "core/ops/linear.h"
#include "core/ops/reduce.h"
#include "datasets/random_state.h"
#include "datasets/synthetic.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

constexpr int kDim = 100;

// Diaconis–Shahshahani subgroup algorithm as DeepOBS runs it: grow a rotation from SO(2) to
// SO(dim) by reflecting blockdiag(1, R_d) through a random unit direction; row-major dim×dim.
std::vector<double> random_rotation(int dim, RandomState& rng) {
  const double t = 2 * std::numbers::pi * rng.uniform(0.0, 1.0);
  std::vector<double> r = {std::cos(t), std::sin(t), -std::sin(t), std::cos(t)};
  const auto normalize = [](std::vector<double>& u) {
    double uu = 0;
    for (double a : u)
      uu += a * a;
    const double norm = std::sqrt(uu);
    for (double& a : u)
      a /= norm;
  };
  for (int d = 2; d < dim; ++d) {
    const int n = d + 1;
    std::vector<double> v = rng.normal(0.0, 1.0, static_cast<std::size_t>(n));
    normalize(v);
    std::vector<double> x(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
      x[i] = (i == 0 ? 1.0 : 0.0) - v[i];
    normalize(x);
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

// θ ∈ R^{1×100} initialised to ones; loss_i = ½ (θ − x_i)ᵀ Q (θ − x_i) with Q stored in f32.
class QuadraticDeep : public ProblemModel {
 public:
  QuadraticDeep() {
    theta_ = register_parameter("theta", Tensor::ones({1, kDim}), {ParamKind::Weight, false, 0});
    const auto q = quadratic_deep_hessian();
    hessian_ = register_buffer(
        "hessian", Tensor::from_vector(std::vector<float>(q.begin(), q.end()), {kDim, kDim}));
  }
  Output forward(const datasets::Batch& batch) override {
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

void add_quadratic_deep_problems(std::vector<ProblemEntry>& registry) {
  registry.push_back(
      {loss_only_info("quadratic_deep", "quadratic",
                      "100-D noisy quadratic with a deep-learning eigenspectrum", 128, 100),
       [](PhiloxGenerator&) { return std::make_unique<QuadraticDeep>(); },
       [](const ProblemConfig& c) -> std::unique_ptr<datasets::DataSet> {
         return datasets::make_quadratic_data_set(data_options(c));
       }});
}

}  // namespace deepobs::problems
