// The stochastic 2-D test functions (SPEC §3.12): two_d_rosenbrock, two_d_beale, two_d_branin.
#include <cmath>
#include <numbers>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "datasets/synthetic.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

// Parameters u ("weight") and v ("bias"), scalars starting at DeepOBS's points;
// loss_i = f(u, v) + u·x_i + v·y_i for an input row (x, y).
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
  Output forward(const datasets::Batch& batch) override {
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

void add_two_d_problems(std::vector<ProblemEntry>& registry) {
  // The 2-D problems have no DeepOBS default; 128/100 (SPEC A.2).
  struct Start {
    const char* name;
    TwoD::Function function;
    double u, v;  // DeepOBS's starting point
  };
  for (const Start s : {Start{"rosenbrock", TwoD::Function::Rosenbrock, -0.5, 1.5},
                        Start{"beale", TwoD::Function::Beale, -4.5, 4.5},
                        Start{"branin", TwoD::Function::Branin, 2.5, 12.5}})
    registry.push_back(
        {loss_only_info(std::string("two_d_") + s.name, "two_d",
                        std::string("stochastic 2-D ") + s.name + " function", 128, 100),
         [s](PhiloxGenerator&) { return std::make_unique<TwoD>(s.function, s.u, s.v); },
         [](const ProblemConfig& c) -> std::unique_ptr<datasets::DataSet> {
           return datasets::make_two_d_data_set(data_options(c));
         }});
}

}  // namespace deepobs::problems
