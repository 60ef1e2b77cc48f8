// Logistic regression (SPEC §3.1): mnist_logreg, fmnist_logreg.
#include "core/ops/shape.h"
#include "layers/dense.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

// 784 → 10, kernel and bias initialised to 0 (7,850 parameters).
class LogReg : public ProblemModel {
 public:
  explicit LogReg(PhiloxGenerator& gen) {
    layers::DenseOptions o;
    o.kernel_init = layers::Initializer::constant(0.0);
    o.bias_init = layers::Initializer::constant(0.0);
    o.layer_index = 0;
    dense_ = &register_module("dense", std::make_unique<layers::Dense>(784, 10, o, gen));
  }
  Output forward(const datasets::Batch& batch) override {
    return classify(dense_->forward(ops::flatten(batch.inputs)), batch, mode());
  }

 private:
  layers::Dense* dense_;
};

}  // namespace

void add_logreg_problems(std::vector<ProblemEntry>& registry) {
  // fmnist_logreg has no DeepOBS default; 128/50 as for mnist_logreg (SPEC A.2 recipe).
  for (const std::string data : {"mnist", "fmnist"})
    registry.push_back(
        {classifier_info(data + "_logreg", data, "logistic regression (7,850 parameters)", 128, 50),
         [](PhiloxGenerator& g) { return std::make_unique<LogReg>(g); }, mnist_data(data)});
}

}  // namespace deepobs::problems
