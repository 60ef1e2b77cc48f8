// The MLP (SPEC §3.2): mnist_mlp, fmnist_mlp (Fashion-MNIST, the v1.2 fix).
#include "core/ops/activation.h"
#include "core/ops/shape.h"
#include "layers/dense.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

// 784 → 1000 → 500 → 100 → 10 with ReLU; kernels truncated normal σ 0.03, biases 0
// (1,336,610 parameters).
class Mlp : public ProblemModel {
 public:
  explicit Mlp(PhiloxGenerator& gen) {
    const std::int64_t sizes[] = {784, 1000, 500, 100, 10};
    for (int i = 0; i < 4; ++i) {
      layers::DenseOptions o;
      o.kernel_init = layers::Initializer::truncated_normal(0.03);
      o.bias_init = layers::Initializer::constant(0.0);
      o.layer_index = i;
      layers_.push_back(
          &register_module("dense" + std::to_string(i + 1),
                           std::make_unique<layers::Dense>(sizes[i], sizes[i + 1], o, gen)));
    }
  }
  Output forward(const datasets::Batch& batch) override {
    Tensor h = ops::flatten(batch.inputs);
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      h = layers_[i]->forward(h);
      if (i + 1 < layers_.size()) h = ops::relu(h);
    }
    return classify(h, batch, mode());
  }

 private:
  std::vector<layers::Dense*> layers_;
};

}  // namespace

void add_mlp_problems(std::vector<ProblemEntry>& registry) {
  for (const std::string data : {"mnist", "fmnist"})
    registry.push_back(
        {classifier_info(data + "_mlp", data, "4-layer MLP 1000-500-100 (1,336,610 parameters)",
                         128, 100),
         [](PhiloxGenerator& g) { return std::make_unique<Mlp>(g); }, mnist_data(data)});
}

}  // namespace deepobs::problems
