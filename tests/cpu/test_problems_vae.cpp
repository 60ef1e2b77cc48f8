// mnist_vae and fmnist_vae (SPEC §3.5): parameter counts, the loss formula against hand-computed
// values and finite differences, and the model's random draws — training steps on MNIST-format
// fixtures, Closure reusing the step's dropout masks and noise, evaluation passes that draw noise
// and are deterministic for a seed.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "core/autograd.h"
#include "core/flat_parameters.h"
#include "optimizers/registry.h"
#include "problems/registry.h"
#include "problems/vae.h"
#include "test_datasets_util.h"
#include "tests/common/gradcheck.h"
#include "tests/common/run_in_process.h"

namespace deepobs::problems {
namespace {

namespace fs = std::filesystem;
using datasets::Batch;
using datasets::Phase;
using datasets::test_util::TempDir;

TEST(VaeProblems, ParameterCountsMatchSpec) {
  for (const char* name : {"mnist_vae", "fmnist_vae"}) {
    PhiloxGenerator gen(42, RngPurpose::Init);
    auto model = find_problem(name).make_model(gen);
    EXPECT_EQ(model->parameter_count(), 10151489) << name;
    std::int64_t encoder = 0, decoder = 0;
    for (const auto& p : model->named_parameters())
      (p.name.rfind("encoder/", 0) == 0 ? encoder : decoder) += p.param->tensor.numel();
    EXPECT_EQ(encoder, 182480) << name;
    EXPECT_EQ(decoder, 9969009) << name;
  }
}

TEST(VaeProblems, RegistryEntriesAreLossOnlyWithDeepObsDefaults) {
  const ProblemInfo& m = find_problem("mnist_vae").info;
  const ProblemInfo& f = find_problem("fmnist_vae").info;
  EXPECT_EQ(m.dataset, "mnist");
  EXPECT_EQ(f.dataset, "fmnist");
  for (const ProblemInfo* i : {&m, &f}) {
    EXPECT_FALSE(i->has_accuracy) << i->name;
    EXPECT_EQ(i->metric, "test_losses") << i->name;
    EXPECT_EQ(i->default_batch_size, 64) << i->name;
    EXPECT_EQ(i->default_weight_decay, 0.0) << i->name;
  }
  EXPECT_EQ(m.default_num_epochs, 50);
  EXPECT_EQ(f.default_num_epochs, 100);
}

// Three examples of 3 pixels and 2 latent dimensions, worked out by hand:
//   0: (0.5−0)² + (0.25−0.5)² + 0 = 0.3125; KL −0.5·[(1+0−1−1) + (1+1−4−e)] = 1.5 + e/2
//   1: 3 pixels off by 1 = 3; μ = 0, s = 0 is the prior: KL 0
//   2: perfect reconstruction; s = (−ln 2, 0): KL −0.5·(1 − 2 ln 2 − 1/4) = ln 2 − 3/8
TEST(VaeProblems, LossIsSquaredErrorSumPlusKlOfTheLogStd) {
  const double e = std::exp(1.0), ln2 = std::log(2.0);
  const Tensor recon = Tensor::from_vector<double>({0.5, 0.25, 1, 0, 0, 0, 0.3, 0.6, 0.9}, {3, 3});
  const Tensor images = Tensor::from_vector<double>({0, 0.5, 1, 1, 1, 1, 0.3, 0.6, 0.9}, {3, 3});
  const Tensor mean = Tensor::from_vector<double>({1, -2, 0, 0, 0, 0}, {3, 2});
  const Tensor log_std = Tensor::from_vector<double>({0, 0.5, 0, 0, -ln2, 0}, {3, 2});
  const auto l = vae_losses(recon, images, mean, log_std).to_vector<double>();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_NEAR(l[0], 0.3125 + 1.5 + e / 2, 1e-14);
  EXPECT_DOUBLE_EQ(l[1], 3.0);
  EXPECT_NEAR(l[2], ln2 - 0.375, 1e-15);
  // f32 gives the same numbers to f32 precision.
  const auto f = vae_losses(recon.to(DType::F32), images.to(DType::F32), mean.to(DType::F32),
                            log_std.to(DType::F32))
                     .to_vector<float>();
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(f[i], l[i], 2e-6 * std::max(1.0, std::abs(l[i]))) << i;
}

TEST(VaeProblems, LossGradientsMatchFiniteDifferences) {
  using testing::random_tensor;
  testing::check_gradients(
      "vae_losses", [](const std::vector<Tensor>& v) { return vae_losses(v[0], v[1], v[2], v[3]); },
      {random_tensor({4, 6}, 1, 0, 1), random_tensor({4, 6}, 2, 0, 1),
       random_tensor({4, 3}, 3, -2, 2), random_tensor({4, 3}, 4, -1, 1)});
}

TEST(VaeProblems, LossRejectsMismatchedShapes) {
  const Tensor a = Tensor::zeros({2, 5}), m = Tensor::zeros({2, 8});
  EXPECT_THROW(vae_losses(a, Tensor::zeros({2, 4}), m, m), Error);
  EXPECT_THROW(vae_losses(a, a, m, Tensor::zeros({2, 7})), Error);
  EXPECT_THROW(vae_losses(a, a, Tensor::zeros({3, 8}), Tensor::zeros({3, 8})), Error);
}

// ---- the model on MNIST-format fixtures ----

// A data root with mnist/ holding the standard 60,000/10,000 split sizes of random images (the
// reader refuses other counts), removed with the test.
class VaeOnFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    using datasets::test_util::idx_bytes;
    using datasets::test_util::write_raw;
    const fs::path dir = root_ / "mnist";
    fs::create_directories(dir);
    std::mt19937 gen(7);
    for (const auto& [prefix, n] :
         {std::pair<std::string, std::uint32_t>{"train", 60000}, {"t10k", 10000}}) {
      std::vector<std::uint8_t> images(static_cast<std::size_t>(n) * 784), labels(n);
      for (auto& b : images)
        b = static_cast<std::uint8_t>(gen() >> 24);
      for (auto& l : labels)
        l = static_cast<std::uint8_t>(gen() % 10);
      write_raw(dir / (prefix + "-images-idx3-ubyte"), idx_bytes({n, 28, 28}, images));
      write_raw(dir / (prefix + "-labels-idx1-ubyte"), idx_bytes({n}, labels));
    }
  }
  std::unique_ptr<Problem> build(std::uint64_t seed = 42, std::int64_t batch_size = 4) {
    ProblemConfig c;
    c.batch_size = batch_size;
    c.seed = seed;
    c.data_dir = root_.path().string();
    return build_problem("mnist_vae", c);
  }
  // The mean loss of the first `batches` batches of an evaluation pass over `phase`.
  static std::vector<double> evaluate(Problem& p, Phase phase, int batches) {
    autograd::NoGrad guard;
    p.start(phase);
    std::vector<double> losses;
    Batch b;
    for (int i = 0; i < batches && p.next(b); ++i)
      losses.push_back(p.forward(b, ForwardMode::Eval).loss.item());
    return losses;
  }

  TempDir root_;
};

// One training step: a finite loss in the range an untrained VAE gives on uniform random pixels
// (sigmoid outputs near 1/2: Σ_p E(½ − u)² = 784/12 ≈ 65), a gradient in every parameter tensor,
// and an SGD step that lowers the loss of the same function (same batch, same draws: Closure).
TEST_F(VaeOnFixtures, OneTrainingStepLowersTheStepsLoss) {
  auto p = build();
  EXPECT_EQ(p->data().batches(Phase::Train), 15000);
  FlatParameters& flat = p->flat();
  auto sgd = make_optimizer("sgd", flat, resolve_hyperparameters(find_optimizer("sgd"), {}));
  p->start(Phase::Train);
  Batch b;
  ASSERT_TRUE(p->next(b));
  flat.zero_grad();
  const BatchResult r = p->forward(b, ForwardMode::Train);
  EXPECT_FALSE(r.accuracy.has_value());
  const double before = r.loss.item();
  EXPECT_GT(before, 40.0);
  EXPECT_LT(before, 100.0);
  autograd::backward(r.loss);
  for (const Segment& s : flat.segments()) {
    double norm = 0;
    for (float g : flat.grads().narrow0(s.offset, s.numel).to_vector<float>())
      norm += static_cast<double>(g) * g;
    EXPECT_GT(norm, 0.0) << s.name;
    EXPECT_TRUE(std::isfinite(norm)) << s.name;
  }
  sgd->step({0, 0, 1e-4});
  autograd::NoGrad guard;
  EXPECT_LT(p->forward(b, ForwardMode::Closure).loss.item(), before);
}

// Closure at the step's parameters is the step's function: the same dropout masks and the same ε,
// so the same loss and gradient, bit for bit, however often it is called; the next Train forward
// draws new ones.
TEST_F(VaeOnFixtures, ClosureReusesTheStepsMasksAndNoise) {
  auto p = build();
  FlatParameters& flat = p->flat();
  p->start(Phase::Train);
  Batch b;
  ASSERT_TRUE(p->next(b));
  flat.zero_grad();
  const Tensor loss = p->forward(b, ForwardMode::Train).loss;
  autograd::backward(loss);
  const auto step_grad = flat.grads().to_vector<float>();
  for (int call = 0; call < 2; ++call) {
    flat.zero_grad();
    const Tensor closure = p->forward(b, ForwardMode::Closure).loss;
    EXPECT_EQ(closure.item(), loss.item()) << "call " << call;
    autograd::backward(closure);
    EXPECT_EQ(flat.grads().to_vector<float>(), step_grad) << "call " << call;
  }
  autograd::NoGrad guard;
  EXPECT_NE(p->forward(b, ForwardMode::Train).loss.item(), loss.item()) << "a new step";
}

// Evaluation draws ε (a second forward of the same batch in the same pass differs), yet a pass is
// a deterministic function of the seed and the parameters: restarting the phase, or building the
// problem again with the same seed, gives the same losses bit for bit; another seed does not.
TEST_F(VaeOnFixtures, EvaluationDrawsNoiseAndIsDeterministicForASeed) {
  auto p = build();
  const auto test = evaluate(*p, Phase::Test, 3);
  ASSERT_EQ(test.size(), 3u);
  EXPECT_EQ(evaluate(*p, Phase::Test, 3), test) << "a restarted pass replays its noise";
  // Training steps in between do not move the evaluation's draws (only the parameters would).
  {
    autograd::NoGrad guard;
    p->start(Phase::Train);
    Batch b;
    ASSERT_TRUE(p->next(b));
    p->forward(b, ForwardMode::Train);
  }
  EXPECT_EQ(evaluate(*p, Phase::Test, 3), test);
  EXPECT_EQ(evaluate(*build(), Phase::Test, 3), test) << "same seed";
  EXPECT_NE(evaluate(*build(43), Phase::Test, 3), test) << "another seed";
  {
    autograd::NoGrad guard;
    p->start(Phase::Test);
    Batch b;
    ASSERT_TRUE(p->next(b));
    const double first = p->forward(b, ForwardMode::Eval).loss.item();
    EXPECT_EQ(first, test[0]);
    EXPECT_NE(p->forward(b, ForwardMode::Eval).loss.item(), first) << "ε is drawn in Eval too";
  }
}

// One epoch of mnist_vae through `deepobs run` on a small MNIST folder (256 training and 128 test
// images, --data_sizes any): the loss-only result file of a VAE (no accuracy keys), the fixture
// run marked in data_variant, and learning. The images are black, so an untrained VAE (sigmoid
// outputs near ½) starts near Σ_p ½² = 196 and Adam's four steps move its outputs towards 0.
class VaeRunner : public testing_support::ScratchDirTest {
 protected:
  VaeRunner() : ScratchDirTest("deepobs_vae_runner") {}
};

TEST_F(VaeRunner, OneEpochThroughTheRunnerOnASmallFixture) {
  using datasets::test_util::idx_bytes;
  using datasets::test_util::write_raw;
  const fs::path dir = dir_ / "data" / "mnist";
  fs::create_directories(dir);
  std::mt19937 gen(11);
  for (const auto& [prefix, n] :
       {std::pair<std::string, std::uint32_t>{"train", 256}, {"t10k", 128}}) {
    std::vector<std::uint8_t> images(static_cast<std::size_t>(n) * 784), labels(n);
    for (auto& l : labels)
      l = static_cast<std::uint8_t>(gen() % 10);
    write_raw(dir / (prefix + "-images-idx3-ubyte"), idx_bytes({n, 28, 28}, images));
    write_raw(dir / (prefix + "-labels-idx1-ubyte"), idx_bytes({n}, labels));
  }
  const std::vector<std::string> common = {"mnist_vae",
                                           "--optimizer",
                                           "adam",
                                           "--lr",
                                           "1e-3",
                                           "-N",
                                           "1",
                                           "--data_dir",
                                           (dir_ / "data").string(),
                                           "--output_dir",
                                           (dir_ / "out").string(),
                                           "--device",
                                           "cpu"};
  // The official sizes are required unless --data_sizes any says otherwise.
  const auto refused = testing_support::run_deepobs_run(common);
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.err.find("expected 60000"), std::string::npos) << refused.err;

  std::vector<std::string> args = common;
  args.insert(args.end(), {"--data_sizes", "any", "--train_log_interval", "1"});
  const auto r = testing_support::run_deepobs_run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(r.out.substr(0, r.out.find('\n')));
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["num_parameters"], 10151489);
  EXPECT_EQ(j["data_variant"], "mnist:sizes=any:data_order=tf1");
  EXPECT_FALSE(j.contains("test_accuracies"));
  EXPECT_FALSE(j.contains("train_accuracies"));
  ASSERT_EQ(j["test_losses"].size(), 2u);
  ASSERT_EQ(j["train_losses"].size(), 2u);
  const double l0 = j["test_losses"][0].get<double>();
  EXPECT_GT(l0, 150.0);
  EXPECT_LT(l0, 250.0);
  const auto& mb = j["minibatch_train_losses"];
  ASSERT_EQ(mb.size(), 4u);  // 256 / 64
  EXPECT_LT(mb[3].get<double>(), mb[0].get<double>());
  EXPECT_LT(j["test_losses"][1].get<double>(), l0);
}

}  // namespace
}  // namespace deepobs::problems
