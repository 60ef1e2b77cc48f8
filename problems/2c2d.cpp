// 2c2d, two convolutional and two dense layers (SPEC §3.3): mnist_2c2d, fmnist_2c2d.
#include "core/ops/activation.h"
#include "core/ops/pool.h"
#include "core/ops/shape.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

// conv5×5·32 'same' ReLU → maxpool 2×2/2 'same' → conv5×5·64 'same' ReLU → maxpool 2×2/2 'same'
// → dense 1024 ReLU → dense 10; kernels truncated normal σ 0.05, biases 0.05 (3,274,634).
class TwoConvTwoDense : public ProblemModel {
 public:
  explicit TwoConvTwoDense(PhiloxGenerator& gen) {
    layers::ConvOptions c;
    c.kernel_h = c.kernel_w = 5;
    c.padding = ops::PaddingMode::kSame;
    c.kernel_init = layers::Initializer::truncated_normal(0.05);
    c.bias_init = layers::Initializer::constant(0.05);
    c.layer_index = 0;
    conv1_ = &register_module("conv1", std::make_unique<layers::Conv2d>(1, 32, c, gen));
    c.layer_index = 1;
    conv2_ = &register_module("conv2", std::make_unique<layers::Conv2d>(32, 64, c, gen));
    layers::DenseOptions d;
    d.kernel_init = layers::Initializer::truncated_normal(0.05);
    d.bias_init = layers::Initializer::constant(0.05);
    d.layer_index = 2;
    fc1_ = &register_module("dense1", std::make_unique<layers::Dense>(7 * 7 * 64, 1024, d, gen));
    d.layer_index = 3;
    fc2_ = &register_module("dense2", std::make_unique<layers::Dense>(1024, 10, d, gen));
  }
  Output forward(const datasets::Batch& batch) override {
    Tensor h = ops::relu(conv1_->forward(batch.inputs));
    h = ops::max_pool2d(h, 2, 2, 2, 2, ops::PaddingMode::kSame);
    h = ops::relu(conv2_->forward(h));
    h = ops::max_pool2d(h, 2, 2, 2, 2, ops::PaddingMode::kSame);
    h = ops::relu(fc1_->forward(ops::flatten(h)));
    return classify(fc2_->forward(h), batch, mode());
  }

 private:
  layers::Conv2d *conv1_, *conv2_;
  layers::Dense *fc1_, *fc2_;
};

}  // namespace

void add_2c2d_problems(std::vector<ProblemEntry>& registry) {
  for (const std::string data : {"mnist", "fmnist"})
    registry.push_back({classifier_info(data + "_2c2d", data,
                                        "2 conv + 2 dense layers (3,274,634 parameters)", 128, 100),
                        [](PhiloxGenerator& g) { return std::make_unique<TwoConvTwoDense>(g); },
                        mnist_data(data)});
}

}  // namespace deepobs::problems
