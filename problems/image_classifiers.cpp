#include "problems/image_classifiers.h"

#include <vector>

#include "core/ops/activation.h"
#include "core/ops/loss.h"
#include "core/ops/pool.h"
#include "core/ops/shape.h"
#include "layers/conv2d.h"
#include "layers/dense.h"

namespace deepobs::problems {
namespace {

using layers::Initializer;

// Per-example losses, and the batch accuracy when not training (ProblemModel::Output).
ProblemModel::Output classify(const Tensor& logits, const datasets::Batch& batch, bool training) {
  DEEPOBS_CHECK(batch.labels.defined(), "classifier: the batch has no labels");
  std::optional<double> accuracy;
  if (!training) accuracy = ops::accuracy(logits, batch.labels);
  return {ops::softmax_cross_entropy(logits, batch.labels), accuracy};
}

class LogReg : public ProblemModel {
 public:
  LogReg(PhiloxGenerator& gen, int num_classes) {
    layers::DenseOptions o;
    o.kernel_init = Initializer::constant(0.0);
    o.bias_init = Initializer::constant(0.0);
    o.layer_index = 0;
    dense_ = &register_module("dense", std::make_unique<layers::Dense>(784, num_classes, o, gen));
  }
  Output forward(const datasets::Batch& batch, bool training) override {
    return classify(dense_->forward(ops::flatten(batch.inputs)), batch, training);
  }

 private:
  layers::Dense* dense_;
};

class Mlp : public ProblemModel {
 public:
  Mlp(PhiloxGenerator& gen, int num_classes) {
    const std::int64_t sizes[] = {784, 1000, 500, 100, num_classes};
    for (int i = 0; i < 4; ++i) {
      layers::DenseOptions o;
      o.kernel_init = Initializer::truncated_normal(0.03);
      o.bias_init = Initializer::constant(0.0);
      o.layer_index = i;
      layers_.push_back(
          &register_module("dense" + std::to_string(i + 1),
                           std::make_unique<layers::Dense>(sizes[i], sizes[i + 1], o, gen)));
    }
  }
  Output forward(const datasets::Batch& batch, bool training) override {
    Tensor h = ops::flatten(batch.inputs);
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      h = layers_[i]->forward(h);
      if (i + 1 < layers_.size()) h = ops::relu(h);
    }
    return classify(h, batch, training);
  }

 private:
  std::vector<layers::Dense*> layers_;
};

class TwoConvTwoDense : public ProblemModel {
 public:
  TwoConvTwoDense(PhiloxGenerator& gen, int num_classes) {
    layers::ConvOptions c;
    c.kernel_h = c.kernel_w = 5;
    c.padding = ops::PaddingMode::kSame;
    c.kernel_init = Initializer::truncated_normal(0.05);
    c.bias_init = Initializer::constant(0.05);
    c.layer_index = 0;
    conv1_ = &register_module("conv1", std::make_unique<layers::Conv2d>(1, 32, c, gen));
    c.layer_index = 1;
    conv2_ = &register_module("conv2", std::make_unique<layers::Conv2d>(32, 64, c, gen));
    layers::DenseOptions d;
    d.kernel_init = Initializer::truncated_normal(0.05);
    d.bias_init = Initializer::constant(0.05);
    d.layer_index = 2;
    fc1_ = &register_module("dense1", std::make_unique<layers::Dense>(7 * 7 * 64, 1024, d, gen));
    d.layer_index = 3;
    fc2_ = &register_module("dense2", std::make_unique<layers::Dense>(1024, num_classes, d, gen));
  }
  Output forward(const datasets::Batch& batch, bool training) override {
    Tensor h = ops::relu(conv1_->forward(batch.inputs));
    h = ops::max_pool2d(h, 2, 2, 2, 2, ops::PaddingMode::kSame);
    h = ops::relu(conv2_->forward(h));
    h = ops::max_pool2d(h, 2, 2, 2, 2, ops::PaddingMode::kSame);
    h = ops::relu(fc1_->forward(ops::flatten(h)));
    return classify(fc2_->forward(h), batch, training);
  }

 private:
  layers::Conv2d *conv1_, *conv2_;
  layers::Dense *fc1_, *fc2_;
};

}  // namespace

std::unique_ptr<ProblemModel> make_logreg(PhiloxGenerator& gen, int num_classes) {
  return std::make_unique<LogReg>(gen, num_classes);
}
std::unique_ptr<ProblemModel> make_mlp(PhiloxGenerator& gen, int num_classes) {
  return std::make_unique<Mlp>(gen, num_classes);
}
std::unique_ptr<ProblemModel> make_2c2d(PhiloxGenerator& gen, int num_classes) {
  return std::make_unique<TwoConvTwoDense>(gen, num_classes);
}

}  // namespace deepobs::problems
