// 3c3d, three convolutional and three dense layers (SPEC §3.4): cifar10_3c3d, cifar100_3c3d,
// svhn_3c3d.
#include "core/ops/activation.h"
#include "core/ops/pool.h"
#include "core/ops/shape.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

// 32×32×3 → conv5×5·64 'valid' ReLU (28) → maxpool 3×3/2 'same' (14) → conv3×3·96 'valid' ReLU
// (12) → maxpool (6) → conv3×3·128 'same' ReLU (6) → maxpool (3) → flatten 1152 → dense 512 ReLU
// → dense 256 ReLU → dense classes. Conv kernels glorot_normal, dense kernels glorot_uniform,
// biases 0; all six kernels in the L2 term (895,210 parameters for 10 classes, 918,340 for 100).
class ThreeConvThreeDense : public ProblemModel {
 public:
  ThreeConvThreeDense(std::int64_t classes, PhiloxGenerator& gen) {
    struct ConvSpec {
      std::int64_t in, out;
      int kernel;
      ops::PaddingMode padding;
    };
    const ConvSpec convs[] = {{3, 64, 5, ops::PaddingMode::kValid},
                              {64, 96, 3, ops::PaddingMode::kValid},
                              {96, 128, 3, ops::PaddingMode::kSame}};
    int layer = 0;
    for (const ConvSpec& s : convs) {
      const layers::ConvOptions c = regularised_conv(s.kernel, 1, s.padding, 0.0, layer);
      convs_.push_back(&register_module("conv" + std::to_string(++layer),
                                        std::make_unique<layers::Conv2d>(s.in, s.out, c, gen)));
    }
    const std::int64_t sizes[] = {3 * 3 * 128, 512, 256, classes};
    for (int i = 0; i < 3; ++i) {
      layers::DenseOptions d;  // glorot_uniform kernel, zero bias: TF's defaults
      d.regularised = true;
      d.layer_index = layer++;
      dense_.push_back(
          &register_module("dense" + std::to_string(i + 1),
                           std::make_unique<layers::Dense>(sizes[i], sizes[i + 1], d, gen)));
    }
  }
  Output forward(const datasets::Batch& batch) override {
    Tensor h = batch.inputs;
    for (const layers::Conv2d* conv : convs_)
      h = ops::max_pool2d(ops::relu(conv->forward(h)), 3, 3, 2, 2, ops::PaddingMode::kSame);
    h = ops::flatten(h);
    for (std::size_t i = 0; i < dense_.size(); ++i) {
      h = dense_[i]->forward(h);
      if (i + 1 < dense_.size()) h = ops::relu(h);
    }
    return classify(h, batch, mode());
  }

 private:
  std::vector<layers::Conv2d*> convs_;
  std::vector<layers::Dense*> dense_;
};

}  // namespace

void add_3c3d_problems(std::vector<ProblemEntry>& registry) {
  struct Variant {
    const char* data;
    std::int64_t classes;
    std::int64_t parameters;
  };
  for (const Variant v : {Variant{"cifar10", 10, 895210}, Variant{"cifar100", 100, 918340},
                          Variant{"svhn", 10, 895210}}) {
    ProblemInfo info = classifier_info(std::string(v.data) + "_3c3d", v.data,
                                       "3 conv + 3 dense layers, L2 on the kernels", 128, 100);
    info.default_weight_decay = 0.002;
    info.parameter_count = v.parameters;
    const std::int64_t classes = v.classes;
    registry.push_back({info,
                        [classes](PhiloxGenerator& g) {
                          return std::make_unique<ThreeConvThreeDense>(classes, g);
                        },
                        image_data(v.data)});
  }
}

}  // namespace deepobs::problems
