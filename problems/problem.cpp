#include "problems/problem.h"

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"

namespace deepobs::problems {

Problem::Problem(ProblemInfo info, std::unique_ptr<ProblemModel> model,
                 std::unique_ptr<datasets::DataSet> data, double weight_decay)
    : info_(std::move(info)),
      model_(std::move(model)),
      data_(std::move(data)),
      weight_decay_(weight_decay) {
  DEEPOBS_CHECK(weight_decay >= 0.0, info_.name, ": weight decay must be >= 0, got ", weight_decay);
}

Tensor Problem::regularizer() {
  if (weight_decay_ == 0.0) return Tensor();
  Tensor total;
  for (const auto& p : model_->named_parameters()) {
    if (!p.param->tags.regularised) continue;
    Tensor sq = ops::sum(ops::square(p.param->tensor));
    total = total.defined() ? ops::add(total, sq) : sq;
  }
  if (!total.defined()) return Tensor();
  return ops::mul_scalar(total, weight_decay_ / 2.0);
}

BatchResult Problem::evaluate(const datasets::Batch& batch, bool training) {
  model_->set_training(training);
  ProblemModel::Output out = model_->forward(batch, training);
  DEEPOBS_CHECK(out.losses.defined() && out.losses.dim() == 1, info_.name, ": the model returned ",
                out.losses.str(), " instead of per-example losses [B]");
  Tensor loss = ops::mean(out.losses);
  if (Tensor reg = regularizer(); reg.defined()) loss = ops::add(loss, reg);
  return {loss, out.accuracy};
}

}  // namespace deepobs::problems
