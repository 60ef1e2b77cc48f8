// The Wide ResNets (SPEC §3.8): exact parameter counts, the regularised tensors, the batch norms'
// buffers, and one training step per problem on CIFAR-100/SVHN fixture files in the real binary
// format (tiny batches): finite loss and gradients, the L2 term over exactly the conv and dense
// kernels, Closure == the step's loss, running statistics changed by Train only.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/random/philox_generator.h"
#include "problems/registry.h"
#include "runner/reproduce_command.h"
#include "tests/common/image_fixtures.h"
#include "tests/common/moving_statistics.h"
#include "tests/common/run_in_process.h"

namespace deepobs::problems {
namespace {

using datasets::Phase;

struct Wrn {
  const char* name;
  std::int64_t parameters;
  int convs;        // all regularised, no bias (stem + 3 projections + 2 per unit)
  int batch_norms;  // 2 per unit + the head's
  // (wd/2)·E[Σ‖W‖²] at initialisation: a glorot-uniform kernel has E[Σw²] = 2·C_in·C_out /
  // (C_in + C_out) (= n·2/(fan_in + fan_out)), summed by hand over the stem, each group's
  // projection and 3×3 convs and the dense kernel (WRN-16-4 on SVHN: 1,931.50), times 2.5e-4.
  double initial_l2;
};
constexpr Wrn kWrns[] = {{"svhn_wrn164", 2748890, 16, 13, 0.482875188},
                         {"cifar100_wrn164", 2772020, 16, 13, 0.514018214},
                         {"cifar100_wrn404", 8972340, 40, 37, 1.410018214}};

TEST(WideResNet, ParameterCountsRegularisedTensorsAndBuffers) {
  for (const Wrn& w : kWrns) {
    SCOPED_TRACE(w.name);
    PhiloxGenerator gen(42, RngPurpose::Init);
    auto model = find_problem(w.name).make_model(gen);
    EXPECT_EQ(model->parameter_count(), w.parameters);
    int convs = 0, dense = 0, scales = 0, shifts = 0, biases = 0;
    for (const auto& p : model->named_parameters()) {
      const ParamTags& t = p.param->tags;
      switch (t.kind) {
        case ParamKind::ConvWeight:
          ++convs;
          EXPECT_TRUE(t.regularised) << p.name;
          break;
        case ParamKind::Weight:
          ++dense;
          EXPECT_TRUE(t.regularised) << p.name;
          EXPECT_EQ(p.name, "dense/weight");
          break;
        case ParamKind::NormScale:
        case ParamKind::NormShift:
          (t.kind == ParamKind::NormScale ? scales : shifts) += 1;
          EXPECT_FALSE(t.regularised) << p.name;
          break;
        case ParamKind::Bias:
          ++biases;
          EXPECT_FALSE(t.regularised) << p.name;
          EXPECT_EQ(p.name, "dense/bias");  // the convolutions have none
          break;
        default:
          ADD_FAILURE() << "unexpected parameter " << p.name;
      }
    }
    EXPECT_EQ(convs, w.convs);
    EXPECT_EQ(dense, 1);
    EXPECT_EQ(biases, 1);
    EXPECT_EQ(scales, w.batch_norms);
    EXPECT_EQ(shifts, w.batch_norms);
    // The regulariser at initialisation: its relative spread over seeds is ~2e-4 (millions of
    // squares), so 0.2% separates it from a set without the dense kernel (−1%) or without the
    // shortcuts (−15% for WRN-16-4).
    double sq = 0;
    for (const auto& p : model->named_parameters())
      if (p.param->tags.regularised)
        for (float v : p.param->tensor.to_vector<float>())
          sq += static_cast<double>(v) * v;
    EXPECT_NEAR(5e-4 / 2 * sq / w.initial_l2, 1.0, 2e-3);
    int moving = 0;
    for (const auto& b : model->named_buffers())
      moving += b.name.ends_with("/moving_mean") || b.name.ends_with("/moving_variance");
    EXPECT_EQ(moving, 2 * w.batch_norms);
    const ProblemInfo& info = find_problem(w.name).info;
    EXPECT_EQ(info.default_weight_decay, 5e-4);
    EXPECT_EQ(info.default_batch_size, 128);
    EXPECT_EQ(info.default_num_epochs, std::string(w.name) == "svhn_wrn164" ? 160 : 200);
  }
}

class WideResNetStep : public testing_support::ScratchDirTest {
 protected:
  WideResNetStep() : ScratchDirTest("deepobs_wrn") {}
};

TEST_F(WideResNetStep, OneTrainingStepPerProblemOnFixtures) {
  test_images::write_data_set(dir_, "svhn", 2, 4);  // 10 training images in 5 files, 4 test
  test_images::write_data_set(dir_, "cifar100", 6, 4);
  for (const Wrn& w : kWrns) {
    SCOPED_TRACE(w.name);
    ProblemConfig config;
    config.batch_size = 2;
    config.data_dir = dir_.string();
    config.image.official_sizes = false;
    auto p = build_problem(w.name, config);
    EXPECT_EQ(p->flat().num_parameters(), w.parameters);
    const std::vector<float> initial = testing::moving_statistics(p->model());
    p->start(Phase::Train);
    datasets::Batch b;
    ASSERT_TRUE(p->next(b));
    p->flat().zero_grad();
    const BatchResult r = p->forward(b, ForwardMode::Train);
    const double loss = r.loss.item();
    ASSERT_TRUE(std::isfinite(loss));
    autograd::backward(r.loss);
    double grad_sq = 0;
    for (float g : p->flat().grads().to_vector<float>()) {
      ASSERT_TRUE(std::isfinite(g));
      grad_sq += static_cast<double>(g) * g;
    }
    EXPECT_GT(grad_sq, 0.0);
    const std::vector<float> after_train = testing::moving_statistics(p->model());
    EXPECT_NE(after_train, initial) << "Train updates the moving statistics";

    autograd::NoGrad no_grad;
    // The L2 term covers exactly the conv and dense kernels: (wd/2)·Σ‖W‖².
    double sq = 0;
    for (const auto& np : p->model().named_parameters())
      if (np.param->tags.kind == ParamKind::ConvWeight || np.param->tags.kind == ParamKind::Weight)
        for (float v : np.param->tensor.to_vector<float>())
          sq += static_cast<double>(v) * v;
    EXPECT_NEAR(p->regularizer().item(), 5e-4 / 2 * sq, 1e-6 * 5e-4 / 2 * sq);
    // The loss closure evaluates the step's function: same bits, no statistics update.
    EXPECT_EQ(p->forward(b, ForwardMode::Closure).loss.item(), loss);
    EXPECT_EQ(testing::moving_statistics(p->model()), after_train);
    // Evaluation uses (and keeps) the moving statistics.
    p->start(Phase::Test);
    ASSERT_TRUE(p->next(b));
    const BatchResult e = p->forward(b, ForwardMode::Eval);
    EXPECT_TRUE(std::isfinite(e.loss.item()));
    ASSERT_TRUE(e.accuracy.has_value());
    EXPECT_EQ(testing::moving_statistics(p->model()), after_train);
  }
}

// `deepobs reproduce svhn_wrn164` against the published baselines: it picks the tuned setting of
// each optimizer and starts the first run, which here (no SVHN) stops at the data with the
// prepare-data hint; the run itself is the one OneTrainingStepPerProblemOnFixtures exercises.
TEST_F(WideResNetStep, ReproduceSvhnWrn164SelectsTheBaselinesAndNamesMissingData) {
  const std::filesystem::path published =
      std::filesystem::path(DEEPOBS_SHARED_DIR) / "baselines" / "deepobs";
  if (!std::filesystem::is_directory(published / "svhn_wrn164")) GTEST_SKIP() << "no " << published;
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with numpy is missing";
  setenv("PYTHONDONTWRITEBYTECODE", "1", 1);  // the analyzer lives in the source tree
  const std::string data = (dir_ / "no_data").string(), out = (dir_ / "out").string();
  const std::vector<std::string> args = {"reproduce",    "svhn_wrn164",
                                         "--optimizer",  "momentum",
                                         "--num_seeds",  "2",
                                         "--num_epochs", "1",
                                         "--baselines",  published.string(),
                                         "--data_dir",   data,
                                         "--output_dir", out,
                                         "--device",     "cpu",
                                         "--no_figure"};
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream o, e;
  const int code = runner::reproduce_command(static_cast<int>(argv.size()), argv.data(), o, e);
  EXPECT_EQ(code, runner::kReproduceFailed) << e.str();
  for (const char* part : {"MomentumOptimizer with seed 42", "svhn: data set files not found",
                           "deepobs prepare-data svhn"})
    EXPECT_NE(e.str().find(part), std::string::npos) << part << " in: " << e.str();
}

}  // namespace
}  // namespace deepobs::problems
