// Wide ResNets (SPEC §3.8; DeepOBS's _wrn.py): svhn_wrn164, cifar100_wrn404, cifar100_wrn164.
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "layers/batch_norm.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

// WRN-(6N+4)-k, pre-activation: stem conv3×3·16 → three groups of N units with 16k, 32k, 64k
// channels and strides 1, 2, 2 → BN → ReLU → global average → dense. Convolutions 'same', no
// bias, glorot-uniform, L2-regularised (the 1×1 projection shortcuts too), as the dense kernel;
// batch norm with momentum 0.9 and epsilon 1e-5 (run as 1.001e-5, layers/batch_norm.h).
// Parameters are created in TF's order (a group's first unit: BN, shortcut, conv, BN, conv), so
// the init stream is consumed layer by layer as DeepOBS builds them.
class WideResNet : public ProblemModel {
 public:
  WideResNet(int units_per_group, int widening, std::int64_t classes, PhiloxGenerator& gen)
      : gen_(&gen) {
    // k = 1 would give group 1 DeepOBS's identity shortcut (C_in == C_out); not needed here.
    DEEPOBS_CHECK(units_per_group >= 1 && widening >= 2,
                  "WideResNet: needs >= 1 unit per group and a widening factor >= 2, got ",
                  units_per_group, " and ", widening);
    stem_ = &conv("conv0", 3, 16, 3, 1);
    std::int64_t in = 16;
    const int strides[] = {1, 2, 2};
    for (int g = 0; g < 3; ++g) {
      const std::int64_t out = (std::int64_t{16} << g) * widening;
      for (int u = 0; u < units_per_group; ++u) {
        const std::string name = "unit_" + std::to_string(g + 1) + "_" + std::to_string(u);
        Unit unit;
        Module& scope = register_module(name, std::make_unique<Module>());
        const int stride = u == 0 ? strides[g] : 1;
        const std::int64_t unit_in = u == 0 ? in : out;
        unit.bn1 = &bn(scope, "bn1", unit_in);
        // A group's first unit changes the width (k ≥ 2): a 1×1 projection of the
        // pre-activated input with the unit's stride.
        if (u == 0) unit.shortcut = &conv(scope, "shortcut", unit_in, out, 1, stride);
        unit.conv1 = &conv(scope, "conv1", unit_in, out, 3, stride);
        unit.bn2 = &bn(scope, "bn2", out);
        unit.conv2 = &conv(scope, "conv2", out, out, 3, 1);
        units_.push_back(unit);
      }
      in = out;
    }
    Module& last = register_module("unit_last", std::make_unique<Module>());
    bn_last_ = &bn(last, "bn", in);
    layers::DenseOptions d;
    d.kernel_init = layers::Initializer::glorot_uniform();
    d.bias_init = layers::Initializer::constant(0.0);
    d.regularised = true;
    d.layer_index = layer_index_++;
    dense_ = &register_module("dense", std::make_unique<layers::Dense>(in, classes, d, gen));
    gen_ = nullptr;  // the caller's generator: not kept beyond construction
  }

  Output forward(const datasets::Batch& batch) override {
    Tensor x = stem_->forward(batch.inputs);
    for (const Unit& u : units_) {
      // First unit of a group: the shortcut sees the pre-activated input; further units: x.
      const Tensor a = ops::relu(u.bn1->forward(x));
      const Tensor shortcut = u.shortcut ? u.shortcut->forward(a) : x;
      Tensor r = u.conv1->forward(a);
      r = u.conv2->forward(ops::relu(u.bn2->forward(r)));
      x = ops::add(r, shortcut);
    }
    x = ops::mean(ops::relu(bn_last_->forward(x)), {2, 3});
    return classify(dense_->forward(x), batch, mode());
  }

 private:
  struct Unit {
    layers::BatchNorm *bn1 = nullptr, *bn2 = nullptr;
    layers::Conv2d *shortcut = nullptr, *conv1 = nullptr, *conv2 = nullptr;
  };

  layers::Conv2d& conv(Module& scope, const std::string& name, std::int64_t in, std::int64_t out,
                       int kernel, int stride) {
    layers::ConvOptions c;
    c.kernel_h = c.kernel_w = kernel;
    c.stride_h = c.stride_w = stride;
    c.padding = ops::PaddingMode::kSame;
    c.kernel_init = layers::Initializer::glorot_uniform();
    c.bias_init = std::nullopt;
    c.regularised = true;
    c.layer_index = layer_index_++;
    return scope.register_module(name, std::make_unique<layers::Conv2d>(in, out, c, *gen_));
  }
  layers::Conv2d& conv(const std::string& name, std::int64_t in, std::int64_t out, int kernel,
                       int stride) {
    return conv(*this, name, in, out, kernel, stride);
  }
  layers::BatchNorm& bn(Module& scope, const std::string& name, std::int64_t channels) {
    layers::BatchNormOptions o;
    o.momentum = 0.9;
    o.epsilon = 1e-5;
    o.layer_index = layer_index_++;
    return scope.register_module(name, std::make_unique<layers::BatchNorm>(channels, o));
  }

  PhiloxGenerator* gen_;  // the init stream, during construction only
  int layer_index_ = 0;
  layers::Conv2d* stem_ = nullptr;
  std::vector<Unit> units_;
  layers::BatchNorm* bn_last_ = nullptr;
  layers::Dense* dense_ = nullptr;
};

ProblemInfo wrn_info(std::string name, std::string dataset, std::string description, int epochs) {
  ProblemInfo i =
      classifier_info(std::move(name), std::move(dataset), std::move(description), 128, epochs);
  i.default_weight_decay = 5e-4;
  return i;
}

}  // namespace

void add_wrn_problems(std::vector<ProblemEntry>& registry) {
  // Batch sizes and epochs: SVHN's DeepOBS default (its baselines' 128/160); the CIFAR-100
  // problems have none, so the WRN paper's recipe quoted in their docstrings (128/200, SPEC A.2).
  registry.push_back(
      {wrn_info("svhn_wrn164", "svhn", "Wide ResNet 16-4 (2,748,890 parameters)", 160),
       [](PhiloxGenerator& g) { return std::make_unique<WideResNet>(2, 4, 10, g); },
       image_data("svhn")});
  registry.push_back(
      {wrn_info("cifar100_wrn404", "cifar100", "Wide ResNet 40-4 (8,972,340 parameters)", 200),
       [](PhiloxGenerator& g) { return std::make_unique<WideResNet>(6, 4, 100, g); },
       image_data("cifar100")});
  registry.push_back(
      {wrn_info("cifar100_wrn164", "cifar100", "Wide ResNet 16-4 (2,772,020 parameters)", 200),
       [](PhiloxGenerator& g) { return std::make_unique<WideResNet>(2, 4, 100, g); },
       image_data("cifar100")});
}

}  // namespace deepobs::problems
