// Inception-v3 on ImageNet (SPEC §3.9; DeepOBS's _inception_v3.py and imagenet_inception_v3.py,
// which follow TF-slim's inception_model.py): imagenet_inception_v3.
//
// Parameters (trainable; conv_BN = kernel kh·kw·C_in·C_out + γ and β of C_out), 27,164,082:
//   stem 172,672 · blocks 5a/5b/5b 255,904 + 277,472 + 285,152 · block 10 1,153,280 ·
//   blocks 6a/6b/6b/6c 1,297,408 + 1,691,008 + 1,691,008 + 2,141,952 ·
//   aux head 3,327,465 (conv_BN 1×1 768→128: 98,560; 5×5 128→768: 2,459,136; dense 768·1001 +
//   1001) · block D 1,698,304 · blocks 7 5,044,608 + 6,076,800 · output dense 2048·1001 + 1001 =
//   2,051,049. 96 conv_BN layers; the L2 term covers their 24,307,040 kernel weights only.
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/loss.h"
#include "core/ops/pool.h"
#include "core/ops/resize.h"
#include "core/ops/shape.h"
#include "layers/batch_norm.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

using ops::PaddingMode;

constexpr std::int64_t kClasses = 1001;  // 0 = background, as the TF-slim ImageNet records
constexpr std::int64_t kInputSize = 299;
constexpr double kLabelSmoothing = 0.1;  // targets onehot·0.9 + 0.1/1001
constexpr double kAuxWeight = 0.4;
constexpr double kDropRate = 0.8;  // DeepOBS passes 0.8 as tf.layers.dropout's *drop* rate

// The construction state shared by every layer: the init stream, in TF's variable order, and
// the running layer index.
struct Builder {
  PhiloxGenerator& gen;
  int layer_index = 0;
};

// conv_BN: conv (no bias, glorot_uniform, in the L2 term) → batch norm (momentum 0.9997, TF's
// default epsilon 1e-3; γ, β trainable) → ReLU.
class ConvBn : public Module {
 public:
  ConvBn(std::int64_t in, std::int64_t out, int kernel_h, int kernel_w, int stride,
         PaddingMode padding, Builder& b) {
    layers::ConvOptions c;
    c.kernel_h = kernel_h;
    c.kernel_w = kernel_w;
    c.stride_h = c.stride_w = stride;
    c.padding = padding;
    c.kernel_init = layers::Initializer::glorot_uniform();
    c.bias_init = std::nullopt;
    c.regularised = true;
    c.layer_index = b.layer_index++;
    conv_ = &register_module("conv", std::make_unique<layers::Conv2d>(in, out, c, b.gen));
    layers::BatchNormOptions n;
    n.momentum = 0.9997;
    n.epsilon = 1e-3;
    n.layer_index = b.layer_index++;
    bn_ = &register_module("bn", std::make_unique<layers::BatchNorm>(out, n));
  }
  Tensor forward(const Tensor& x) const { return ops::relu(bn_->forward(conv_->forward(x))); }

 private:
  layers::Conv2d* conv_ = nullptr;
  layers::BatchNorm* bn_ = nullptr;
};

// The pools of the network. Average pools with 'same' padding divide by the pixels inside the
// image (TF, SPEC §1.3; core/ops/pool.h).
enum class Pool { kNone, kAvg3Same, kMax3Stride2, kAvg5Stride3 };

Tensor apply(Pool pool, const Tensor& x) {
  switch (pool) {
    case Pool::kAvg3Same:
      return ops::avg_pool2d(x, 3, 3, 1, 1, PaddingMode::kSame);
    case Pool::kMax3Stride2:
      return ops::max_pool2d(x, 3, 3, 2, 2, PaddingMode::kValid);
    case Pool::kAvg5Stride3:
      return ops::avg_pool2d(x, 5, 5, 3, 3, PaddingMode::kValid);
    case Pool::kNone:
      break;
  }
  return x;
}

// One step of a branch: a pool, or a conv_BN of `out` channels.
struct Step {
  Pool pool = Pool::kNone;
  std::int64_t out = 0;
  int kernel_h = 1, kernel_w = 1, stride = 1;
  PaddingMode padding = PaddingMode::kSame;
};
Step conv(std::int64_t out, int kernel, int stride = 1, PaddingMode padding = PaddingMode::kSame) {
  return {Pool::kNone, out, kernel, kernel, stride, padding};
}
// A kernel_h × kernel_w conv_BN, stride 1, 'same' (the factorised 1×n and n×1 convolutions).
Step conv_hw(std::int64_t out, int kernel_h, int kernel_w) {
  return {Pool::kNone, out, kernel_h, kernel_w, 1, PaddingMode::kSame};
}
Step pool(Pool p) {
  return {p};
}

// A branch: steps in sequence, then optionally a fork of conv_BNs that all read the sequence's
// output and are joined along the channels (block 7's 1×3 ‖ 3×1 pairs).
struct BranchSpec {
  std::vector<Step> steps{};
  std::vector<Step> fork{};
};

// Parallel branches on one input, joined along the channels (NCHW axis 1) in TF's order. Layers
// are created branch by branch, step by step, as DeepOBS's graph creates its variables.
class Block : public Module {
 public:
  Block(std::int64_t in, const std::vector<BranchSpec>& specs, Builder& b) {
    for (std::size_t i = 0; i < specs.size(); ++i) {
      Module& scope = register_module("branch" + std::to_string(i), std::make_unique<Module>());
      Branch branch;
      std::int64_t channels = in;
      int k = 0;
      auto make = [&](const Step& s, std::int64_t from) {
        return &scope.register_module(
            "conv" + std::to_string(k++),
            std::make_unique<ConvBn>(from, s.out, s.kernel_h, s.kernel_w, s.stride, s.padding, b));
      };
      for (const Step& s : specs[i].steps) {
        branch.steps.push_back({s.pool, s.pool == Pool::kNone ? make(s, channels) : nullptr});
        if (s.pool == Pool::kNone) channels = s.out;
      }
      if (!specs[i].fork.empty()) {
        const std::int64_t from = channels;
        channels = 0;
        for (const Step& s : specs[i].fork) {
          branch.fork.push_back(make(s, from));
          channels += s.out;
        }
      }
      out_channels_ += channels;
      branches_.push_back(std::move(branch));
    }
  }
  std::int64_t out_channels() const { return out_channels_; }

  Tensor forward(const Tensor& x) const {
    std::vector<Tensor> outputs;
    for (const Branch& branch : branches_) {
      Tensor h = x;
      for (const auto& [p, c] : branch.steps)
        h = c ? c->forward(h) : apply(p, h);
      if (!branch.fork.empty()) {
        std::vector<Tensor> parts;
        for (const ConvBn* c : branch.fork)
          parts.push_back(c->forward(h));
        h = ops::concat(parts, 1);
      }
      outputs.push_back(h);
    }
    return outputs.size() == 1 ? outputs[0] : ops::concat(outputs, 1);
  }

 private:
  struct Branch {
    std::vector<std::pair<Pool, const ConvBn*>> steps;
    std::vector<const ConvBn*> fork;
  };
  std::vector<Branch> branches_;
  std::int64_t out_channels_ = 0;
};

// Block 5 (35×35; pool branch 32 filters in variant a, 64 in b).
std::vector<BranchSpec> block5(std::int64_t pool_filters) {
  return {{{conv(64, 1)}},
          {{pool(Pool::kAvg3Same), conv(pool_filters, 1)}},
          {{conv(48, 1), conv(64, 5)}},
          {{conv(64, 1), conv(96, 3), conv(96, 3)}}};
}
// Block 10: grid reduction 35 → 17.
std::vector<BranchSpec> block10() {
  const PaddingMode valid = PaddingMode::kValid;
  return {{{pool(Pool::kMax3Stride2)}},
          {{conv(384, 3, 2, valid)}},
          {{conv(64, 1), conv(96, 3), conv(96, 3, 2, valid)}}};
}
// Block 6 (17×17) with inner width n (128, 160, 160, 192): factorised 7×7 convolutions.
std::vector<BranchSpec> block6(std::int64_t n) {
  return {{{conv(192, 1)}},
          {{pool(Pool::kAvg3Same), conv(192, 1)}},
          {{conv(n, 1), conv_hw(n, 1, 7), conv_hw(192, 7, 1)}},
          {{conv(n, 1), conv_hw(n, 7, 1), conv_hw(n, 1, 7), conv_hw(n, 7, 1), conv_hw(192, 1, 7)}}};
}
// Block D: grid reduction 17 → 8.
std::vector<BranchSpec> block_d() {
  const PaddingMode valid = PaddingMode::kValid;
  return {{{pool(Pool::kMax3Stride2)}},
          {{conv(192, 1), conv_hw(192, 1, 7), conv_hw(192, 7, 1), conv(192, 3, 2, valid)}},
          {{conv(192, 1), conv(320, 3, 2, valid)}}};
}
// Block 7 (8×8): expanded filter banks.
std::vector<BranchSpec> block7() {
  return {{{conv(320, 1)}},
          {{conv(384, 1)}, {conv_hw(384, 1, 3), conv_hw(384, 3, 1)}},
          {{conv(448, 1), conv(384, 3)}, {conv_hw(384, 1, 3), conv_hw(384, 3, 1)}},
          {{pool(Pool::kAvg3Same), conv(192, 1)}}};
}

// The 224×224 batch resized to 299×299 (TF1's legacy bilinear resize) → stem (→ 35×35×192) →
// blocks 5a, 5b, 5b → 10 → 6a, 6b, 6b, 6c (→ 17×17×768; the auxiliary head branches off here) →
// D → 7, 7 (→ 8×8×2048) → 8×8 average → dropout → dense 1001. The dense heads have a bias,
// TF's default init and no L2.
class InceptionV3 : public ProblemModel {
 public:
  explicit InceptionV3(PhiloxGenerator& gen) {
    Builder b{gen};
    const PaddingMode valid = PaddingMode::kValid;
    std::int64_t channels = 3;
    auto add = [&](std::string name, const std::vector<BranchSpec>& spec) {
      Block& block = register_module(name, std::make_unique<Block>(channels, spec, b));
      channels = block.out_channels();
      return &block;
    };
    stem_ =
        add("stem",
            {{{conv(32, 3, 2, valid), conv(32, 3, 1, valid), conv(64, 3), pool(Pool::kMax3Stride2),
               conv(80, 1, 1, valid), conv(192, 3, 1, valid), pool(Pool::kMax3Stride2)}}});
    before_aux_ = {add("block5a", block5(32)),    add("block5b_0", block5(64)),
                   add("block5b_1", block5(64)),  add("block10", block10()),
                   add("block6a", block6(128)),   add("block6b_0", block6(160)),
                   add("block6b_1", block6(160)), add("block6c", block6(192))};
    const std::int64_t aux_in = channels;
    aux_ = &register_module(
        "aux_head", std::make_unique<Block>(
                        aux_in,
                        std::vector<BranchSpec>{
                            {{pool(Pool::kAvg5Stride3), conv(128, 1), conv(768, 5, 1, valid)}}},
                        b));
    aux_dense_ = &dense("aux_dense", aux_->out_channels(), b);
    after_aux_ = {add("blockD", block_d()), add("block7_0", block7()), add("block7_1", block7())};
    dropout_ = &register_module(
        "dropout", std::make_unique<layers::Dropout>(kDropRate, gen.seed(), 0, step()));
    dense_ = &dense("dense", channels, b);
  }

  Output forward(const datasets::Batch& batch) override {
    DEEPOBS_CHECK(batch.labels.defined(), "imagenet_inception_v3: the batch has no labels");
    Tensor x = stem_->forward(ops::resize_bilinear(batch.inputs, kInputSize, kInputSize));
    for (const Block* block : before_aux_)
      x = block->forward(x);
    // The auxiliary loss counts in the training phase only (Train and its loss closure); in
    // evaluation its value is unused, so the head is not run.
    Tensor aux;
    if (mode() != ForwardMode::Eval) aux = aux_dense_->forward(ops::flatten(aux_->forward(x)));
    for (const Block* block : after_aux_)
      x = block->forward(x);
    x = ops::flatten(ops::avg_pool2d(x, 8, 8, 1, 1, PaddingMode::kValid));
    const Tensor logits = dense_->forward(dropout_->forward(x));
    Output out{ops::softmax_cross_entropy(logits, batch.labels, kLabelSmoothing), std::nullopt};
    if (aux.defined())
      out.losses =
          ops::add(out.losses,
                   ops::mul_scalar(ops::softmax_cross_entropy(aux, batch.labels, kLabelSmoothing),
                                   kAuxWeight));
    if (mode() == ForwardMode::Eval) out.accuracy = ops::accuracy(logits, batch.labels);
    return out;
  }

 private:
  layers::Dense& dense(const std::string& name, std::int64_t in, Builder& b) {
    layers::DenseOptions d;  // TF's defaults (glorot_uniform, zero bias), not regularised
    d.layer_index = b.layer_index++;
    return register_module(name, std::make_unique<layers::Dense>(in, kClasses, d, b.gen));
  }

  Block* stem_ = nullptr;
  std::vector<Block*> before_aux_, after_aux_;
  Block* aux_ = nullptr;
  layers::Dense* aux_dense_ = nullptr;
  layers::Dropout* dropout_ = nullptr;
  layers::Dense* dense_ = nullptr;
};

}  // namespace

void add_inception_v3_problems(std::vector<ProblemEntry>& registry) {
  // Batch size and epochs: DeepOBS has no default; the original paper's recipe quoted in its
  // docstring (batch 32, 100 epochs; SPEC §2, A.2).
  ProblemInfo info = classifier_info(
      "imagenet_inception_v3", "imagenet",
      "Inception-v3 on the image resized to 299x299, auxiliary head, label smoothing 0.1", 32, 100);
  info.default_weight_decay = 5e-4;
  info.parameter_count = 27164082;
  registry.push_back(
      {info, [](PhiloxGenerator& g) { return std::make_unique<InceptionV3>(g); }, imagenet_data()});
}

}  // namespace deepobs::problems
