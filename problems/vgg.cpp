// VGG16 and VGG19 (SPEC §3.6): cifar10_vgg16, cifar10_vgg19, cifar100_vgg16, cifar100_vgg19 on
// CIFAR, imagenet_vgg16 and imagenet_vgg19 on ImageNet (1001 classes).
#include "core/ops/activation.h"
#include "core/ops/pool.h"
#include "core/ops/resize.h"
#include "core/ops/shape.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

// The image resized to 224×224 (TF1's legacy bilinear resize; ImageNet's batches are 224×224
// already, which that resize maps to themselves: src = dst·224/224) → five blocks of 3×3 'same'
// ReLU convs (64,64 | 128,128 | 256×3 | 512×3 | 512×3; VGG19 one more conv in each of the last
// three blocks), each block followed by maxpool 2×2/2 'same' (→ 7×7×512) → flatten 25,088 →
// dense 4096 ReLU → dropout 0.5 → dense 4096 ReLU → dropout 0.5 → dense classes. Conv kernels
// glorot_normal in the L2 term, conv biases 0; the dense layers have TF's defaults
// (glorot_uniform, zero bias) and no L2.
class Vgg : public ProblemModel {
 public:
  Vgg(int depth, std::int64_t classes, PhiloxGenerator& gen) {
    const int extra = depth == 19 ? 1 : 0;
    const std::pair<std::int64_t, int> blocks[] = {
        {64, 2}, {128, 2}, {256, 3 + extra}, {512, 3 + extra}, {512, 3 + extra}};
    std::int64_t in = 3;
    int layer = 0;
    for (const auto& [channels, convs] : blocks) {
      std::vector<layers::Conv2d*> block;
      for (int k = 0; k < convs; ++k) {
        const layers::ConvOptions c = regularised_conv(3, 1, ops::PaddingMode::kSame, 0.0, layer);
        block.push_back(&register_module("conv" + std::to_string(++layer),
                                         std::make_unique<layers::Conv2d>(in, channels, c, gen)));
        in = channels;
      }
      blocks_.push_back(std::move(block));
    }
    const std::int64_t sizes[] = {7 * 7 * 512, 4096, 4096, classes};
    for (int i = 0; i < 3; ++i) {
      layers::DenseOptions d;  // TF's defaults, not regularised
      d.layer_index = layer++;
      dense_.push_back(
          &register_module("dense" + std::to_string(i + 1),
                           std::make_unique<layers::Dense>(sizes[i], sizes[i + 1], d, gen)));
    }
    for (std::uint32_t i = 0; i < 2; ++i)
      dropouts_.push_back(
          &register_module("dropout" + std::to_string(i + 1),
                           std::make_unique<layers::Dropout>(0.5, gen.seed(), i, step())));
  }
  Output forward(const datasets::Batch& batch) override {
    Tensor h = batch.inputs;
    if (h.dim() != 4 || h.size(2) != 224 || h.size(3) != 224) h = ops::resize_bilinear(h, 224, 224);
    for (const auto& block : blocks_) {
      for (const layers::Conv2d* conv : block)
        h = ops::relu(conv->forward(h));
      h = ops::max_pool2d(h, 2, 2, 2, 2, ops::PaddingMode::kSame);
    }
    h = ops::flatten(h);
    for (std::size_t i = 0; i < 2; ++i)
      h = dropouts_[i]->forward(ops::relu(dense_[i]->forward(h)));
    return classify(dense_[2]->forward(h), batch, mode());
  }

 private:
  std::vector<std::vector<layers::Conv2d*>> blocks_;
  std::vector<layers::Dense*> dense_;
  std::vector<layers::Dropout*> dropouts_;
};

}  // namespace

void add_vgg_problems(std::vector<ProblemEntry>& registry) {
  struct Variant {
    const char* data;
    std::int64_t classes;
    int depth;
    std::int64_t parameters;
  };
  for (const Variant v :
       {Variant{"cifar10", 10, 16, 134301514}, Variant{"cifar10", 10, 19, 139611210},
        Variant{"cifar100", 100, 16, 134670244}, Variant{"cifar100", 100, 19, 139979940}}) {
    ProblemInfo info = classifier_info(
        cat(v.data, "_vgg", v.depth), v.data,
        cat("VGG", v.depth, " on the image resized to 224x224, L2 on the conv kernels"), 128, 100);
    info.default_weight_decay = 5e-4;
    info.parameter_count = v.parameters;
    const std::int64_t classes = v.classes;
    const int depth = v.depth;
    registry.push_back(
        {info,
         [depth, classes](PhiloxGenerator& g) { return std::make_unique<Vgg>(depth, classes, g); },
         image_data(v.data)});
  }
  // ImageNet: 1001 classes (0 = background); VGG16 138,361,641 = 134,301,514 + 991·4097 more in
  // the last dense layer, VGG19 143,671,337 = VGG16 + 5,309,696 (three more 3×3 convs: 256→256,
  // 512→512, 512→512). Batch size and epochs: DeepOBS has none, so 128 / 100 (SPEC A.2).
  for (const auto& [depth, parameters] :
       {std::pair{16, std::int64_t{138361641}}, std::pair{19, std::int64_t{143671337}}}) {
    ProblemInfo info = classifier_info(
        cat("imagenet_vgg", depth), "imagenet",
        cat("VGG", depth, " on 224x224 ImageNet crops, L2 on the conv kernels"), 128, 100);
    info.default_weight_decay = 5e-4;
    info.parameter_count = parameters;
    const int d = depth;
    registry.push_back({info, [d](PhiloxGenerator& g) { return std::make_unique<Vgg>(d, 1001, g); },
                        imagenet_data()});
  }
}

}  // namespace deepobs::problems
