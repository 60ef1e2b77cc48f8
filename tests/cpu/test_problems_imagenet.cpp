// The ImageNet problems (SPEC §3.6, §3.9): imagenet_vgg16, imagenet_vgg19, imagenet_inception_v3.
// Exact parameter counts, the regularised tensors, Inception's batch norms and its label-smoothed
// loss, and one training step of each on a small in-memory data set in the ImageNet batch contract
// (tests/common/imagenet_fixture.h): the loss of the untrained net where ln(1001) and the L2 term
// put it, Closure reproducing the step bit for bit, the auxiliary head counting in training only,
// the parameters moving. The steps are `Heavy` (ctest label heavy: ~50 GFLOP per VGG image), which
// the sanitizer run leaves out.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/loss.h"
#include "core/random/philox_generator.h"
#include "layers/init.h"
#include "optimizers/registry.h"
#include "problems/registry.h"
#include "tests/common/gradcheck.h"
#include "tests/common/imagenet_fixture.h"
#include "tests/common/moving_statistics.h"

namespace deepobs::problems {
namespace {

using datasets::Phase;

struct Expected {
  const char* name;
  std::int64_t parameters;
  int batch_size, epochs;
  int conv_kernels;  // all regularised; nothing else is
};
// VGG16: SPEC §3.6. VGG19: + 3·(3·3·C·C + C) for C = 256, 512, 512 = 5,309,696. Inception-v3:
// the sum per block in problems/inception_v3.cpp (96 conv_BN layers, two dense heads).
constexpr Expected kProblems[] = {{"imagenet_vgg16", 138361641, 128, 100, 13},
                                  {"imagenet_vgg19", 143671337, 128, 100, 16},
                                  {"imagenet_inception_v3", 27164082, 32, 100, 96}};

// Σ n·2/(fan_in + fan_out) over the regularised tensors: E[Σ‖W‖²] at initialisation for
// glorot_uniform (limit²/3) and TF 1.x's rescaled truncated glorot_normal alike.
double expected_squares(Module& model) {
  double s = 0;
  for (const auto& np : model.named_parameters()) {
    if (!np.param->tags.regularised) continue;
    const init::Fans f = init::conv_fans(np.param->tensor.shape());
    s += static_cast<double>(np.param->tensor.numel()) * 2.0 /
         static_cast<double>(f.fan_in + f.fan_out);
  }
  return s;
}

TEST(ImageNetProblems, ParameterCountsRegularisedSetAndDefaults) {
  for (const Expected& x : kProblems) {
    SCOPED_TRACE(x.name);
    const ProblemEntry& e = find_problem(x.name);
    EXPECT_EQ(e.info.dataset, "imagenet");
    EXPECT_EQ(e.info.default_batch_size, x.batch_size);
    EXPECT_EQ(e.info.default_num_epochs, x.epochs);
    EXPECT_EQ(e.info.default_weight_decay, 5e-4);
    EXPECT_EQ(e.info.metric, "test_accuracies");
    ASSERT_TRUE(e.info.parameter_count.has_value());
    EXPECT_EQ(*e.info.parameter_count, x.parameters) << "the count `deepobs list` prints";
    PhiloxGenerator gen(42, RngPurpose::Init);
    auto model = e.make_model(gen);
    EXPECT_EQ(model->parameter_count(), x.parameters);
    // Regularised: exactly the conv kernels. Not: biases, dense kernels, γ and β.
    std::map<ParamKind, int> kinds;
    int regularised = 0, dense_out = 0;
    for (const auto& np : model->named_parameters()) {
      const ParamTags& t = np.param->tags;
      ++kinds[t.kind];
      EXPECT_EQ(t.regularised, t.kind == ParamKind::ConvWeight) << np.name;
      regularised += t.regularised;
      if (t.kind == ParamKind::Weight) dense_out += np.param->tensor.size(1) == 1001;
    }
    EXPECT_EQ(regularised, x.conv_kernels);
    const bool inception = x.conv_kernels == 96;
    // VGG: a bias per conv and three dense layers; Inception: conv_BN (no conv bias, γ and β per
    // batch norm) and two dense heads (main and auxiliary) with biases.
    EXPECT_EQ(kinds[ParamKind::Bias], inception ? 2 : x.conv_kernels + 3);
    EXPECT_EQ(kinds[ParamKind::NormScale], inception ? 96 : 0);
    EXPECT_EQ(kinds[ParamKind::NormShift], inception ? 96 : 0);
    EXPECT_EQ(kinds[ParamKind::Weight], inception ? 2 : 3);
    EXPECT_EQ(dense_out, inception ? 2 : 1);  // the heads with 1001 outputs
    // The L2 term at initialisation concentrates around its expectation (relative spread
    // < 0.1% over tens of millions of squares).
    double sq = 0;
    for (const auto& np : model->named_parameters())
      if (np.param->tags.regularised)
        for (float v : np.param->tensor.to_vector<float>())
          sq += static_cast<double>(v) * v;
    EXPECT_NEAR(sq / expected_squares(*model), 1.0, 0.01);
    if (inception) {
      // 24,307,040 kernel weights in the L2 term (the header comment's sum); moving mean and
      // variance of every batch norm as buffers, outside the flat parameters.
      std::int64_t kernel_weights = 0;
      for (const auto& np : model->named_parameters())
        if (np.param->tags.regularised) kernel_weights += np.param->tensor.numel();
      EXPECT_EQ(kernel_weights, 24307040);
      int moving = 0;
      for (const auto& b : model->named_buffers())
        moving += b.name.ends_with("/moving_mean") || b.name.ends_with("/moving_variance");
      EXPECT_EQ(moving, 2 * 96);
    }
  }
}

// Inception's loss: softmax cross-entropy against targets onehot·0.9 + 0.1/1001 (TF's
// label_smoothing = 0.1 over 1001 classes), by hand and by finite differences.
TEST(ImageNetProblems, LabelSmoothingOverTheThousandAndOneClasses) {
  const std::int64_t c = 1001;
  std::vector<double> x(static_cast<std::size_t>(2 * c), 0.0);
  x[7] = 2.0;       // row 0: logit 2 on its label 7, 0 elsewhere
  x[c + 3] = -1.0;  // row 1: logit −1 on class 3, label 0 (logit 0)
  const Tensor logits = Tensor::from_vector(x, {2, c});
  const Tensor labels = Tensor::from_vector<std::int64_t>({7, 0}, {2});
  const auto loss = ops::softmax_cross_entropy(logits, labels, 0.1).to_vector<double>();
  // loss = lse − Σ target·logit with target = 0.9·onehot + 0.1/1001.
  const double lse0 = std::log(std::exp(2.0) + 1000.0), lse1 = std::log(std::exp(-1.0) + 1000.0);
  EXPECT_NEAR(loss[0], lse0 - (0.9 + 0.1 / 1001) * 2.0, 1e-13);
  EXPECT_NEAR(loss[1], lse1 - (0.1 / 1001) * -1.0, 1e-13);
  // All logits equal: ln(1001), whatever the smoothing: the untrained net's loss.
  EXPECT_NEAR(ops::softmax_cross_entropy(Tensor::zeros({1, c}, DType::F64),
                                         Tensor::from_vector<std::int64_t>({1000}, {1}), 0.1)
                  .item(),
              std::log(1001.0), 1e-13);
  testing::check_gradients(
      "label-smoothed softmax cross-entropy, 1001 classes",
      [](const std::vector<Tensor>& in) { return ops::softmax_cross_entropy(in[0], in[1], 0.1); },
      {testing::random_tensor({2, c}, 11, -3.0, 3.0), labels}, {true, false});
}

// ---- one training step (Heavy: ctest label heavy) ----

std::vector<float> segment(const FlatParameters& flat, const std::string& name, bool grad) {
  for (std::size_t i = 0; i < flat.segments().size(); ++i)
    if (flat.segments()[i].name == name)
      return (grad ? flat.grad_view(i) : flat.param_view(i)).to_vector<float>();
  ADD_FAILURE() << "no parameter " << name;
  return {};
}

struct StepResult {
  double loss = 0, regularizer = 0;
  std::vector<float> grads;
};

StepResult train_step(Problem& p, const datasets::Batch& b, ForwardMode mode) {
  p.flat().zero_grad();
  const Tensor loss = p.forward(b, mode).loss;
  autograd::backward(loss);
  StepResult r{loss.item(), 0, p.flat().grads().to_vector<float>()};
  autograd::NoGrad guard;
  r.regularizer = p.regularizer().item();
  return r;
}

// The untrained net's loss: ln(1001) for (nearly) uniform logits, plus the L2 term. VGG's logits
// are tiny at initialisation (13–16 ReLU layers without normalisation shrink the signal): its
// cross-entropy is ln(1001) to 2e-2 (seed 42: +0.003). Inception's logits are small too; in
// training its loss is main + 0.4·aux ≈ 1.4·ln(1001) = 9.67 (seed 42: 9.64), in evaluation the
// main loss alone (6.99): 0.5 separates those from each other and from an auxiliary weight of 1.
void expect_untrained_loss(const std::string& name, double loss, double regularizer, double heads) {
  const bool vgg = name.find("vgg") != std::string::npos;
  EXPECT_NEAR(loss - regularizer, heads * std::log(1001.0), vgg ? 0.02 : 0.5)
      << "loss " << loss << " L2 " << regularizer;
}

class HeavyImageNetStep : public ::testing::TestWithParam<std::string> {};

TEST_P(HeavyImageNetStep, TrainsClosureReplaysAndEvaluates) {
  const std::string name = GetParam();
  const bool inception = name == "imagenet_inception_v3";
  // VGG at batch 1 (~50 GFLOP per image and step); Inception at 2 so that its batch norms see
  // two examples in the auxiliary head's 1×1 map.
  auto p = testing::imagenet_fixture_problem(name, inception ? 2 : 1, Device::cpu());
  const std::vector<float> initial_params = p->flat().params().to_vector<float>();
  const std::vector<float> initial_buffers = testing::moving_statistics(p->model());
  p->start(Phase::Train);
  datasets::Batch b;
  ASSERT_TRUE(p->next(b));
  ASSERT_EQ(b.inputs.shape(), (Shape{inception ? 2 : 1, 3, 224, 224}));

  const StepResult train = train_step(*p, b, ForwardMode::Train);
  ASSERT_TRUE(std::isfinite(train.loss));
  double g2 = 0;
  for (float g : train.grads) {
    ASSERT_TRUE(std::isfinite(g));
    g2 += static_cast<double>(g) * g;
  }
  ASSERT_GT(g2, 0.0);
  EXPECT_NEAR(train.regularizer / (5e-4 / 2 * expected_squares(p->model())), 1.0, 0.01);
  expect_untrained_loss(name, train.loss, train.regularizer, inception ? 1.4 : 1.0);
  const std::vector<float> after_train = testing::moving_statistics(p->model());
  if (inception) {
    EXPECT_NE(after_train, initial_buffers) << "Train updates the moving statistics";
  }

  // The loss closure at the step's parameters: the same dropout masks and batch statistics, the
  // auxiliary head included, and no statistics update: the same bits, loss and gradients.
  const StepResult closure = train_step(*p, b, ForwardMode::Closure);
  EXPECT_EQ(closure.loss, train.loss);
  EXPECT_TRUE(closure.grads == train.grads) << "Closure gradients differ from the step's";
  EXPECT_EQ(testing::moving_statistics(p->model()), after_train);

  if (inception) {
    // The auxiliary head counts in training with weight 0.4: the gradient of its bias at the
    // label of a batch of B is 0.4·(p − 0.9 − 0.1/1001)/B summed over the rows with that label,
    // ≈ −0.4·0.9/B for the near-uniform p of the untrained head; the main head's is
    // ≈ −0.9/B. The other classes get (p − 0.1/1001)/B-sized gradients, p ≥ 0.
    const std::vector<float> aux = segment(p->flat(), "aux_dense/bias", true);
    const std::vector<float> main = segment(p->flat(), "dense/bias", true);
    const auto labels = b.labels.to_vector<std::int64_t>();
    ASSERT_NE(labels[0], labels[1]) << "the fixture's two labels differ";
    for (std::int64_t l : labels) {
      const double target = (0.9 + 0.1 / 1001) / 2;
      // ratio = 1 − (p + p')/0.9 for the two rows' probabilities of that class (seed 42: > 0.99).
      EXPECT_GT(aux[l] / (-0.4 * target), 0.9) << "aux bias gradient at label " << l;
      EXPECT_LT(aux[l] / (-0.4 * target), 1.0 + 1e-4) << "aux bias gradient at label " << l;
      EXPECT_GT(main[l] / -target, 0.9) << "main bias gradient at label " << l;
      EXPECT_LT(main[l] / -target, 1.0 + 1e-4) << "main bias gradient at label " << l;
    }
    for (std::size_t c = 0; c < aux.size(); ++c) {
      const auto k = static_cast<std::int64_t>(c);
      if (k != labels[0] && k != labels[1]) {
        EXPECT_GE(aux[c], -0.4 * 0.1 / 1001) << "class " << c;  // 0.4·2·(0 − 0.1/1001)/2
      }
    }
  }

  // A gradient step moves the parameters.
  auto sgd = make_optimizer("sgd", p->flat(), resolve_hyperparameters(find_optimizer("sgd"), {}));
  sgd->step({0, 0, 0.01});
  EXPECT_NE(p->flat().params().to_vector<float>(), initial_params);

  // Evaluation: moving statistics, no dropout, no auxiliary loss, accuracy from the main logits.
  p->start(Phase::Test);
  ASSERT_TRUE(p->next(b));
  p->flat().zero_grad();
  const BatchResult e = p->forward(b, ForwardMode::Eval);
  ASSERT_TRUE(e.accuracy.has_value());
  EXPECT_TRUE(*e.accuracy >= 0.0 && *e.accuracy <= 1.0);
  ASSERT_TRUE(std::isfinite(e.loss.item()));
  {
    autograd::NoGrad guard;
    expect_untrained_loss(name, e.loss.item(), p->regularizer().item(), 1.0);
  }
  EXPECT_EQ(testing::moving_statistics(p->model()), after_train)
      << "evaluation keeps the moving statistics";
  if (inception) {
    autograd::backward(e.loss);
    for (float g : segment(p->flat(), "aux_dense/weight", true))
      ASSERT_EQ(g, 0.0f) << "the auxiliary head takes no part in evaluation";
    double main_g2 = 0;
    for (float g : segment(p->flat(), "dense/weight", true))
      main_g2 += static_cast<double>(g) * g;
    EXPECT_GT(main_g2, 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(ImageNet, HeavyImageNetStep,
                         ::testing::Values("imagenet_vgg16", "imagenet_vgg19",
                                           "imagenet_inception_v3"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace deepobs::problems
