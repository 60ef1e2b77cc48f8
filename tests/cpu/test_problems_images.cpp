// The CIFAR-10/CIFAR-100/SVHN problems (SPEC §3.4, §3.6, §3.7): exact parameter counts, the L2
// term over exactly the kernels SPEC names, and one training step of each on fixture files in
// the real record formats (tests/common/image_fixtures.h), with the loss closure reproducing the
// step's loss and a small gradient step lowering it by what the gradient predicts.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/flat_parameters.h"
#include "core/random/philox_generator.h"
#include "layers/init.h"
#include "optimizers/registry.h"
#include "problems/registry.h"
#include "runner/list_command.h"
#include "test_datasets_util.h"
#include "tests/common/image_fixtures.h"

namespace deepobs::problems {
namespace {

using datasets::Phase;

const std::vector<std::string> kImageProblems = {
    "cifar10_3c3d",  "cifar100_3c3d", "svhn_3c3d",      "cifar100_allcnnc",
    "cifar10_vgg16", "cifar10_vgg19", "cifar100_vgg16", "cifar100_vgg19"};

bool is_vgg(const std::string& name) {
  return name.find("_vgg") != std::string::npos;
}

// A data root with small CIFAR-10, CIFAR-100 and SVHN folders in DeepOBS's layout (12 training
// images per CIFAR-10/SVHN file, 60 in CIFAR-100's, 16 test images), and a config that accepts
// their sizes.
class ImageProblemData {
 public:
  ImageProblemData() {
    test_images::write_data_set(dir_.path(), "cifar10", 12, 16);
    test_images::write_data_set(dir_.path(), "cifar100", 60, 16);
    test_images::write_data_set(dir_.path(), "svhn", 12, 16);
  }
  ProblemConfig config(std::int64_t batch_size) const {
    ProblemConfig c;
    c.batch_size = batch_size;
    c.data_dir = dir_.path().string();
    c.image.official_sizes = false;
    return c;
  }

 private:
  datasets::test_util::TempDir dir_;
};

TEST(ImageProblems, ParameterCountsMatchSpec) {
  // SPEC §3.4, §3.6, §3.7; CIFAR-100 VGG19 = VGG19's 139,611,210 + 90·4096 + 90 (the last dense
  // layer's 90 extra outputs); SVHN's 3c3d has CIFAR-10's 10 classes.
  const std::pair<const char*, std::int64_t> expected[] = {
      {"cifar10_3c3d", 895210},      {"cifar100_3c3d", 918340},    {"svhn_3c3d", 895210},
      {"cifar100_allcnnc", 1387108}, {"cifar10_vgg16", 134301514}, {"cifar10_vgg19", 139611210},
      {"cifar100_vgg16", 134670244}, {"cifar100_vgg19", 139979940}};
  for (const auto& [name, count] : expected) {
    const ProblemEntry& e = find_problem(name);
    PhiloxGenerator gen(42, RngPurpose::Init);
    EXPECT_EQ(e.make_model(gen)->parameter_count(), count) << name;
    ASSERT_TRUE(e.info.parameter_count.has_value()) << name;
    EXPECT_EQ(*e.info.parameter_count, count) << name << ": the count `deepobs list` prints";
  }
}

// `deepobs list` shows the eight, and the ImageNet problems, with their data set, defaults and
// exact counts.
TEST(ImageProblems, ListShowsThem) {
  datasets::test_util::TempDir empty;
  const std::string dir = empty.path().string();
  const char* argv[] = {"list", "--data_dir", dir.c_str()};
  std::ostringstream out, err;
  ASSERT_EQ(runner::list_command(3, argv, out, err), 0) << err.str();
  const std::string text = out.str();
  for (const char* row :
       {"cifar10_3c3d           cifar10        128     100    0.002      895,210",
        "cifar100_3c3d          cifar100       128     100    0.002      918,340",
        "svhn_3c3d              svhn           128     100    0.002      895,210",
        "cifar100_allcnnc       cifar100       256     350   0.0005    1,387,108",
        "cifar10_vgg16          cifar10        128     100   0.0005  134,301,514",
        "cifar10_vgg19          cifar10        128     100   0.0005  139,611,210",
        "cifar100_vgg16         cifar100       128     100   0.0005  134,670,244",
        "cifar100_vgg19         cifar100       128     100   0.0005  139,979,940",
        "imagenet_vgg16         imagenet       128     100   0.0005  138,361,641",
        "imagenet_vgg19         imagenet       128     100   0.0005  143,671,337",
        "imagenet_inception_v3  imagenet        32     100   0.0005   27,164,082"})
    EXPECT_NE(text.find(row), std::string::npos) << row << "\n" << text;
  // All 27 problems of SPEC A.1, one row each; no ImageNet files needed to list them.
  EXPECT_EQ(problem_registry().size(), 27u);
  int rows = 0;
  for (const auto& e : problem_registry())
    rows += text.find("\n" + e.info.name + " ") != std::string::npos;
  EXPECT_EQ(rows, 27);
}

TEST(ImageProblems, DefaultsFollowSpecA2) {
  struct Defaults {
    const char* name;
    int batch, epochs;
    double wd;
    const char* data;
  };
  for (const Defaults& d : {Defaults{"cifar10_3c3d", 128, 100, 0.002, "cifar10"},
                            Defaults{"cifar100_3c3d", 128, 100, 0.002, "cifar100"},
                            Defaults{"svhn_3c3d", 128, 100, 0.002, "svhn"},
                            Defaults{"cifar100_allcnnc", 256, 350, 5e-4, "cifar100"},
                            Defaults{"cifar10_vgg16", 128, 100, 5e-4, "cifar10"},
                            Defaults{"cifar10_vgg19", 128, 100, 5e-4, "cifar10"},
                            Defaults{"cifar100_vgg16", 128, 100, 5e-4, "cifar100"},
                            Defaults{"cifar100_vgg19", 128, 100, 5e-4, "cifar100"}}) {
    const ProblemInfo& i = find_problem(d.name).info;
    EXPECT_EQ(i.default_batch_size, d.batch) << d.name;
    EXPECT_EQ(i.default_num_epochs, d.epochs) << d.name;
    EXPECT_EQ(i.default_weight_decay, d.wd) << d.name;
    EXPECT_EQ(i.dataset, d.data) << d.name;
    EXPECT_TRUE(i.has_accuracy) << d.name;
    EXPECT_EQ(i.metric, "test_accuracies") << d.name;
  }
}

// The regularised tensors SPEC names: every kernel of 3c3d (3 conv + 3 dense) and of All-CNN-C
// (9 conv), only the conv kernels of VGG (13 or 16; its dense layers are not regularised). Biases
// never.
std::set<std::string> spec_regularised(const std::string& problem, Module& model) {
  std::set<std::string> names;
  for (const auto& np : model.named_parameters()) {
    const bool kernel = np.name.size() > 7 && np.name.substr(np.name.size() - 7) == "/weight";
    if (kernel && (!is_vgg(problem) || np.name.rfind("conv", 0) == 0)) names.insert(np.name);
  }
  return names;
}

TEST(ImageProblems, L2CoversExactlyTheKernelsSpecNames) {
  const ImageProblemData data;
  const std::pair<const char*, std::size_t> cases[] = {
      {"cifar10_3c3d", 6}, {"cifar100_allcnnc", 9}, {"cifar10_vgg16", 13}, {"cifar100_vgg19", 16}};
  for (const auto& [name, kernels] : cases) {
    SCOPED_TRACE(name);
    auto p = build_problem(name, data.config(2));
    const std::set<std::string> expected = spec_regularised(name, p->model());
    EXPECT_EQ(expected.size(), kernels);
    std::set<std::string> tagged;
    for (const Segment& s : p->flat().segments())
      if (s.tags.regularised) tagged.insert(s.name);
    EXPECT_EQ(tagged, expected);
    // The fused term's value against a hand sum (double) over exactly those tensors.
    double sum = 0, expected_sum = 0;
    for (const auto& np : p->model().named_parameters()) {
      if (!expected.count(np.name)) continue;
      for (float w : np.param->tensor.to_vector<float>())
        sum += static_cast<double>(w) * w;
      // At initialisation E[w²] = 2/(fan_in + fan_out) for glorot_uniform (limit²/3) and for
      // TF 1.x's glorot_normal (truncated, σ rescaled by 1/0.8796…, so that the truncated
      // distribution has that variance): Σ‖W‖² concentrates around Σ n·2/(fan_in + fan_out)
      // (relative spread < 0.1% for these sizes). Without the rescaling the conv kernels would
      // give 0.774 of it.
      const Shape& s = np.param->tensor.shape();
      const init::Fans f = s.size() == 4 ? init::conv_fans(s) : init::dense_fans(s);
      expected_sum += static_cast<double>(np.param->tensor.numel()) * 2.0 /
                      static_cast<double>(f.fan_in + f.fan_out);
    }
    EXPECT_NEAR(sum, expected_sum, 0.01 * expected_sum);
    const double wd = p->weight_decay();
    EXPECT_EQ(wd, find_problem(name).info.default_weight_decay);
    autograd::NoGrad guard;
    EXPECT_NEAR(p->regularizer().item(), wd / 2 * sum, wd / 2 * sum * 1e-5);
  }
}

// One training step of every problem on fixture data (VGG at batch 2 on the CPU, the others at 8).
class ImageProblemStep : public ::testing::TestWithParam<std::string> {};

TEST_P(ImageProblemStep, TrainsOnFixtures) {
  const std::string name = GetParam();
  const ImageProblemData data;
  auto p = build_problem(name, data.config(is_vgg(name) ? 2 : 8));
  FlatParameters& flat = p->flat();
  p->start(Phase::Train);
  datasets::Batch b;
  ASSERT_TRUE(p->next(b));
  ASSERT_EQ(b.inputs.shape(), (Shape{is_vgg(name) ? 2 : 8, 3, 32, 32}));
  flat.zero_grad();
  const Tensor loss = p->forward(b, ForwardMode::Train).loss;
  autograd::backward(loss);
  const double l0 = loss.item();
  ASSERT_TRUE(std::isfinite(l0)) << l0;
  double g2 = 0;
  for (float g : flat.grads().to_vector<float>()) {
    ASSERT_TRUE(std::isfinite(g));
    g2 += static_cast<double>(g) * g;
  }
  ASSERT_GT(g2, 0.0);
  // The loss at initialisation is the cross-entropy plus the L2 term, which is positive.
  {
    autograd::NoGrad guard;
    EXPECT_GT(l0, p->regularizer().item());
    // The loss closure at the step's parameters: the same dropout masks, the same bits.
    EXPECT_EQ(p->forward(b, ForwardMode::Closure).loss.item(), l0);
  }
  // A gradient step of length lr·‖g‖ = 1% of the loss: the closure's loss (same function, same
  // masks) falls by about lr·‖g‖², what the gradient predicts to first order.
  const double lr = 0.01 * l0 / g2;
  auto sgd = make_optimizer("sgd", flat, resolve_hyperparameters(find_optimizer("sgd"), {}));
  sgd->step({0, 0, lr});
  autograd::NoGrad guard;
  const double l1 = p->forward(b, ForwardMode::Closure).loss.item();
  const double predicted = lr * g2;
  EXPECT_LT(l1, l0);
  EXPECT_NEAR((l0 - l1) / predicted, 1.0, 0.5) << "l0 " << l0 << " l1 " << l1;
  // Evaluation has no dropout: deterministic.
  const double eval = p->forward(b, ForwardMode::Eval).loss.item();
  EXPECT_EQ(p->forward(b, ForwardMode::Eval).loss.item(), eval);
}

std::vector<std::string> image_problems(bool vgg) {
  std::vector<std::string> names;
  for (const std::string& n : kImageProblems)
    if (is_vgg(n) == vgg) names.push_back(n);
  return names;
}

INSTANTIATE_TEST_SUITE_P(EveryImageProblem, ImageProblemStep,
                         ::testing::ValuesIn(image_problems(false)),
                         [](const auto& p) { return p.param; });
// The VGGs' steps at 224×224 (minutes each under AddressSanitizer): ctest label heavy, which
// tools/test.sh --sanitize leaves out (tests/CMakeLists.txt).
INSTANTIATE_TEST_SUITE_P(HeavyVgg, ImageProblemStep, ::testing::ValuesIn(image_problems(true)),
                         [](const auto& p) { return p.param; });

// Dropout is active in training and the closure, not in evaluation: All-CNN-C's training loss on a
// batch differs from its evaluation loss, and the next training step draws new masks.
TEST(ImageProblems, AllCnnCDropoutFollowsTheModes) {
  const ImageProblemData data;
  auto p = build_problem("cifar100_allcnnc", data.config(8));
  autograd::NoGrad guard;
  p->start(Phase::Train);
  datasets::Batch b;
  ASSERT_TRUE(p->next(b));
  const double train = p->forward(b, ForwardMode::Train).loss.item();
  EXPECT_NE(p->forward(b, ForwardMode::Eval).loss.item(), train);
  EXPECT_EQ(p->forward(b, ForwardMode::Closure).loss.item(), train);
  EXPECT_NE(p->forward(b, ForwardMode::Train).loss.item(), train);
}

TEST(ImageProblems, MissingDataNamesPrepareData) {
  datasets::test_util::TempDir empty;
  ProblemConfig c;
  c.data_dir = empty.path().string();
  for (const auto& [problem, data] :
       {std::pair{"cifar10_3c3d", "cifar10"}, std::pair{"cifar100_allcnnc", "cifar100"},
        std::pair{"svhn_3c3d", "svhn"}}) {
    try {
      build_problem(problem, c);
      ADD_FAILURE() << problem << ": expected an error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("prepare-data ") + data), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace deepobs::problems
