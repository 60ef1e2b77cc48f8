// All-CNN-C (SPEC §3.7): cifar100_allcnnc.
#include "core/ops/activation.h"
#include "core/ops/reduce.h"
#include "layers/conv2d.h"
#include "layers/dropout.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

// dropout 0.2 on the image → conv3×3·96 ×2 → conv3×3·96 /2 (16) → dropout 0.5 → conv3×3·192 ×2
// → conv3×3·192 /2 (8) → dropout 0.5 → conv3×3·192 'valid' (6) → conv1×1·192 → conv1×1·100 →
// mean over the 6×6 positions = the logits. Every conv 'same' unless noted and followed by a
// ReLU (the last one too, as DeepOBS does); kernels glorot_normal in the L2 term, biases 0.1
// (1,387,108 parameters).
class AllCnnC : public ProblemModel {
 public:
  explicit AllCnnC(PhiloxGenerator& gen) {
    struct ConvSpec {
      std::int64_t in, out;
      int kernel, stride;
      ops::PaddingMode padding;
    };
    constexpr auto same = ops::PaddingMode::kSame;
    const ConvSpec convs[] = {{3, 96, 3, 1, same},
                              {96, 96, 3, 1, same},
                              {96, 96, 3, 2, same},
                              {96, 192, 3, 1, same},
                              {192, 192, 3, 1, same},
                              {192, 192, 3, 2, same},
                              {192, 192, 3, 1, ops::PaddingMode::kValid},
                              {192, 192, 1, 1, same},
                              {192, 100, 1, 1, same}};
    int layer = 0;
    for (const ConvSpec& s : convs) {
      const layers::ConvOptions c = regularised_conv(s.kernel, s.stride, s.padding, 0.1, layer);
      convs_.push_back(&register_module("conv" + std::to_string(++layer),
                                        std::make_unique<layers::Conv2d>(s.in, s.out, c, gen)));
    }
    // Each dropout layer draws from its own stream (index 0, 1, 2 in the order of the network).
    const double rates[] = {0.2, 0.5, 0.5};
    for (std::uint32_t i = 0; i < 3; ++i)
      dropouts_.push_back(
          &register_module("dropout" + std::to_string(i + 1),
                           std::make_unique<layers::Dropout>(rates[i], gen.seed(), i, step())));
  }
  Output forward(const datasets::Batch& batch) override {
    Tensor h = dropouts_[0]->forward(batch.inputs);
    for (std::size_t i = 0; i < convs_.size(); ++i) {
      h = ops::relu(convs_[i]->forward(h));
      if (i == 2) h = dropouts_[1]->forward(h);
      if (i == 5) h = dropouts_[2]->forward(h);
    }
    return classify(ops::mean(h, {2, 3}), batch, mode());
  }

 private:
  std::vector<layers::Conv2d*> convs_;
  std::vector<layers::Dropout*> dropouts_;
};

}  // namespace

void add_allcnnc_problems(std::vector<ProblemEntry>& registry) {
  ProblemInfo info = classifier_info(
      "cifar100_allcnnc", "cifar100",
      "All-CNN-C: 9 conv layers, dropout, spatial mean, L2 on the kernels", 256, 350);
  info.default_weight_decay = 5e-4;
  info.parameter_count = 1387108;
  registry.push_back({info, [](PhiloxGenerator& g) { return std::make_unique<AllCnnC>(g); },
                      image_data("cifar100")});
}

}  // namespace deepobs::problems
