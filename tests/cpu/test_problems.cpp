#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/autograd.h"
#include "core/flat_parameters.h"
#include "core/random/philox_generator.h"
#include "datasets/data_dir.h"
#include "optimizers/registry.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

using datasets::Phase;

double evaluate_phase(Problem& p, Phase phase) {
  autograd::NoGrad guard;
  p.start(phase);
  double sum = 0;
  int n = 0;
  for (datasets::Batch b; p.next(b); ++n)
    sum += p.forward(b, ForwardMode::Eval).loss.item();
  return sum / n;
}

TEST(Problems, ParameterCountsMatchSpec) {
  const std::pair<const char*, std::int64_t> expected[] = {
      {"mnist_logreg", 7850},  {"fmnist_logreg", 7850}, {"mnist_mlp", 1336610},
      {"fmnist_mlp", 1336610}, {"mnist_2c2d", 3274634}, {"fmnist_2c2d", 3274634},
      {"quadratic_deep", 100}, {"two_d_rosenbrock", 2}, {"two_d_beale", 2},
      {"two_d_branin", 2}};
  for (const auto& [name, count] : expected) {
    PhiloxGenerator gen(42, RngPurpose::Init);
    EXPECT_EQ(find_problem(name).make_model(gen)->parameter_count(), count) << name;
  }
}

TEST(Problems, UnknownNameSuggestsTheClosest) {
  try {
    find_problem("fmnist_2c2e");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'fmnist_2c2d'"), std::string::npos)
        << e.what();
  }
}

TEST(Problems, QuadraticDeepHessianMatchesDeepObs) {
  std::ifstream in(std::string(DEEPOBS_SHARED_DIR) + "/reference/synthetic.json");
  if (!in) GTEST_SKIP() << "shared/reference/synthetic.json not found";
  const auto ref = nlohmann::json::parse(in)["quadratic_deep"];
  const auto q = quadratic_deep_hessian();
  double trace = 0;
  for (int i = 0; i < 100; ++i) {
    trace += q[i * 100 + i];
    EXPECT_NEAR(q[i * 100 + i], ref["hessian_diagonal"][i].get<double>(), 1e-12) << i;
    EXPECT_NEAR(q[i], ref["hessian_row0"][i].get<double>(), 1e-12) << i;
    EXPECT_NEAR(q[i * 100 + 7], q[7 * 100 + i], 1e-12) << "symmetry at " << i;
  }
  EXPECT_NEAR(trace, ref["hessian_trace"].get<double>(), 1e-10);
}

TEST(Problems, QuadraticDeepInitialTestLossIsTheBaselines) {
  ProblemConfig c;
  auto p = build_problem("quadratic_deep", c);
  EXPECT_EQ(p->data().batches(Phase::Train), 7);
  // Every DeepOBS baseline file starts at 353.4467…; we compute in f32 as TF did.
  EXPECT_NEAR(evaluate_phase(*p, Phase::Test), 353.4467654661159, 353.4467654661159 * 1e-6);
}

TEST(Problems, TwoDTestLossIsTheNoiseFreeFunctionAtTheStart) {
  ProblemConfig c;
  EXPECT_NEAR(evaluate_phase(*build_problem("two_d_rosenbrock", c), Phase::Test), 158.5, 1e-4);
  // Beale at (-4.5, 4.5) and Branin at (2.5, 12.5), worked out from their definitions.
  const double u = -4.5, v = 4.5;
  const double beale = std::pow(1.5 - u + u * v, 2) + std::pow(2.25 - u + u * v * v, 2) +
                       std::pow(2.625 - u + u * v * v * v, 2);
  EXPECT_NEAR(evaluate_phase(*build_problem("two_d_beale", c), Phase::Test), beale, beale * 1e-6);
  const double pi = 3.14159265358979323846, bu = 2.5, bv = 12.5;
  const double branin = std::pow(bv - 5.1 / (4 * pi * pi) * bu * bu + 5 / pi * bu - 6, 2) +
                        10 * (1 - 1 / (8 * pi)) * std::cos(bu) + 10;
  EXPECT_NEAR(evaluate_phase(*build_problem("two_d_branin", c), Phase::Test), branin, 1e-4);
}

TEST(Problems, SgdStepsLowerTheQuadraticLoss) {
  ProblemConfig c;
  c.batch_size = 32;
  auto p = build_problem("quadratic_deep", c);
  FlatParameters& flat = p->flat();
  auto sgd = make_optimizer("sgd", flat, resolve_hyperparameters(find_optimizer("sgd"), {}));
  const double before = evaluate_phase(*p, Phase::Test);
  p->start(Phase::Train);
  datasets::Batch b;
  for (int s = 0; s < 10 && p->next(b); ++s) {
    flat.zero_grad();
    autograd::backward(p->forward(b, ForwardMode::Train).loss);
    sgd->step({s, 0, 0.01});
  }
  EXPECT_LT(evaluate_phase(*p, Phase::Test), before * 0.9);
}

TEST(Problems, SameSeedSameInitialisationDifferentSeedDifferent) {
  auto params = [](std::uint64_t seed) {
    PhiloxGenerator gen(seed, RngPurpose::Init);
    auto m = find_problem("mnist_mlp").make_model(gen);
    return m->named_parameters()[0].param->tensor.to_vector<float>();
  };
  EXPECT_EQ(params(42), params(42));
  EXPECT_NE(params(42), params(43));
  const auto w = params(42);
  for (float x : w)
    ASSERT_LE(std::abs(x), 2 * 0.03f + 1e-7f);  // truncated normal σ 0.03
}

TEST(Problems, FashionMnistLogregReachesEightyPercentInOneEpoch) {
  const auto root = datasets::resolve_data_root();
  if (!datasets::data_set_present("fmnist", root))
    GTEST_SKIP() << "Fashion-MNIST not found (apt-get install dataset-fashion-mnist)";
  ProblemConfig c;
  auto p = build_problem("fmnist_logreg", c);
  FlatParameters& flat = p->flat();
  auto sgd = make_optimizer("sgd", flat, resolve_hyperparameters(find_optimizer("sgd"), {}));
  p->start(Phase::Train);
  std::int64_t s = 0;
  for (datasets::Batch b; p->next(b); ++s) {
    flat.zero_grad();
    autograd::backward(p->forward(b, ForwardMode::Train).loss);
    sgd->step({s, 0, 0.1});
  }
  EXPECT_EQ(s, 468);
  autograd::NoGrad guard;
  p->start(Phase::Test);
  double acc = 0;
  int n = 0;
  for (datasets::Batch b; p->next(b); ++n)
    acc += *p->forward(b, ForwardMode::Eval).accuracy;
  EXPECT_GT(acc / n, 0.80);
}

}  // namespace
}  // namespace deepobs::problems
