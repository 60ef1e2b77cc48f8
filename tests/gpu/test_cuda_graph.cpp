// The CUDA-graph training step (runner/step_graph.h) against eager steps on a GPU, under
// --deterministic: the same mini-batch losses, evaluation curves and final parameters to the last
// bit, across an epoch boundary and a learning-rate change, for a plain CNN (fmnist_2c2d), a model
// drawing noise from the step counter (fmnist_vae, Adam) and a batch-norm network (svhn_wrn164);
// the recorded step holds exactly the stream work of an eager step; an op that refuses capture
// (the cuDNN LSTM of tolstoi_char_rnn) leaves the run eager, with the reason, and unchanged.
// Skips cleanly without a usable GPU.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/cuda_backend.h"
#include "core/cuda_graph.h"
#include "datasets/npy.h"
#include "optimizers/registry.h"
#include "problems/registry.h"
#include "runner/progress.h"
#include "runner/step_graph.h"
#include "runner/trainer.h"
#include "tests/common/image_fixtures.h"
#include "tests/cpu/test_datasets_util.h"
#include "twin.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;
using datasets::test_util::idx_bytes;
using datasets::test_util::write_raw;

// fmnist/ (1,280 training and 256 test images of random bytes), svhn/ (the record fixtures:
// 260 training, 130 test) and tolstoi/ (random ids) under one temp root.
const datasets::test_util::TempDir& data_root() {
  static const auto* root = [] {
    auto* dir = new datasets::test_util::TempDir();
    std::mt19937 gen(17);
    fs::create_directories(*dir / "fmnist");
    for (const auto& [prefix, n] :
         {std::pair<std::string, std::uint32_t>{"train", 1280}, {"t10k", 256}}) {
      std::vector<std::uint8_t> images(static_cast<std::size_t>(n) * 784), labels(n);
      for (auto& b : images)
        b = static_cast<std::uint8_t>(gen() >> 24);
      for (auto& l : labels)
        l = static_cast<std::uint8_t>(gen() % 10);
      write_raw(*dir / "fmnist" / (prefix + "-images-idx3-ubyte"), idx_bytes({n, 28, 28}, images));
      write_raw(*dir / "fmnist" / (prefix + "-labels-idx1-ubyte"), idx_bytes({n}, labels));
    }
    test_images::write_data_set(dir->path(), "svhn", 52, 130);
    fs::create_directories(*dir / "tolstoi");
    for (const auto& [file, n] : {std::pair{"train.npy", 20000}, std::pair{"test.npy", 7000}}) {
      std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
      for (std::size_t i = 0; i < ids.size(); ++i)
        ids[i] = i < 83 ? static_cast<std::int64_t>(i) : static_cast<std::int64_t>(gen() % 83);
      std::ofstream(*dir / "tolstoi" / file, std::ios::binary) << datasets::npy_int64_bytes(ids);
    }
    return dir;
  }();
  return *root;
}

struct Case {
  std::string problem, optimizer;
  std::map<std::string, std::string> hyperparameters;
  std::int64_t batch_size;
  int epochs;
};

// gtest names the cases by problem; this prints them in failure messages.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.problem << " with " << c.optimizer << " at batch " << c.batch_size;
}

struct Trained {
  RunRecord record;
  std::vector<float> params;
  std::string log;
};

// Trains `c` on cuda:0 with deterministic algorithms; the learning rate halves after epoch 0, so
// a replay must pick up a rate written between steps.
Trained train_on_gpu(const Case& c, CudaGraphMode mode) {
  const Device gpu = Device::cuda(0);
  cuda_backend::set_policies(gpu, {true, false});
  problems::ProblemConfig config;
  config.batch_size = c.batch_size;
  config.seed = 42;
  config.data_dir = data_root().path().string();
  config.device = gpu;
  config.image.official_sizes = false;
  auto problem = problems::build_problem(c.problem, config);
  const OptimizerInfo& info = find_optimizer(c.optimizer);
  auto optimizer = make_optimizer(c.optimizer, problem->flat(),
                                  resolve_hyperparameters(info, c.hyperparameters));
  const LrSchedule schedule(0.01, {1}, {0.5});
  TrainerConfig tc;
  tc.num_epochs = c.epochs;
  tc.train_log_interval = 1;
  tc.cuda_graph = mode;
  std::ostringstream log;
  Progress progress(log, false);
  Trained t;
  EXPECT_EQ(train(*problem, problem->flat(), *optimizer, schedule, tc, progress, t.record),
            TrainOutcome::Completed);
  t.params = problem->flat().params().to(Device::cpu()).to_vector<float>();
  t.log = log.str();
  return t;
}

void expect_same_run(const Trained& graph, const Trained& eager) {
  EXPECT_EQ(graph.record.minibatch_train_losses, eager.record.minibatch_train_losses);
  EXPECT_EQ(graph.record.train_losses, eager.record.train_losses);
  EXPECT_EQ(graph.record.test_losses, eager.record.test_losses);
  EXPECT_EQ(graph.record.train_accuracies, eager.record.train_accuracies);
  EXPECT_EQ(graph.record.test_accuracies, eager.record.test_accuracies);
  ASSERT_EQ(graph.params.size(), eager.params.size());
  EXPECT_TRUE(graph.params == eager.params) << "the final parameters differ";
}

class CudaGraphReplay : public ::testing::TestWithParam<Case> {};

TEST_P(CudaGraphReplay, EqualsEagerStepsBitForBit) {
  SKIP_WITHOUT_GPU();
  const Case& c = GetParam();
  const Trained eager = train_on_gpu(c, CudaGraphMode::Off);
  const Trained graph = train_on_gpu(c, CudaGraphMode::Auto);
  const auto& j = graph.record.extra["cuda_graph"];
  ASSERT_TRUE(j["enabled"].get<bool>()) << j.dump();
  EXPECT_EQ(j["captured_step"], TrainingStepGraph::kWarmupSteps);
  const auto steps = static_cast<std::int64_t>(eager.record.minibatch_train_losses.size());
  EXPECT_EQ(j["graph_steps"], steps - TrainingStepGraph::kWarmupSteps);
  EXPECT_NE(graph.log.find("CUDA graph: on (step 2 captured"), std::string::npos) << graph.log;
  EXPECT_EQ(eager.record.extra["cuda_graph"]["reason"], "--cuda_graph off");
  expect_same_run(graph, eager);
}

INSTANTIATE_TEST_SUITE_P(
    Problems, CudaGraphReplay,
    ::testing::Values(Case{"fmnist_2c2d", "momentum", {{"momentum", "0.9"}}, 128, 2},
                      Case{"fmnist_vae", "adam", {}, 64, 2},
                      Case{"svhn_wrn164", "momentum", {{"momentum", "0.9"}}, 16, 1}),
    [](const auto& param_info) { return param_info.param.problem; });

// Launches per step: the trainer's graph holds every stream operation of one eager step (the same
// count as a capture of the eager step's own code here) and runs them as one launch.
TEST(CudaGraphLaunches, TheGraphHoldsExactlyOneEagerStep) {
  SKIP_WITHOUT_GPU();
  const Case c{"fmnist_2c2d", "momentum", {{"momentum", "0.9"}}, 128, 1};
  const Trained graph = train_on_gpu(c, CudaGraphMode::Auto);
  const auto& j = graph.record.extra["cuda_graph"];
  ASSERT_TRUE(j["enabled"].get<bool>()) << j.dump();

  const Device gpu = Device::cuda(0);
  problems::ProblemConfig config;
  config.batch_size = c.batch_size;
  config.data_dir = data_root().path().string();
  config.device = gpu;
  config.image.official_sizes = false;
  auto problem = problems::build_problem(c.problem, config);
  auto optimizer =
      make_optimizer(c.optimizer, problem->flat(),
                     resolve_hyperparameters(find_optimizer(c.optimizer), c.hyperparameters));
  optimizer->set_learning_rate(0.01);
  problem->start(datasets::Phase::Train);
  datasets::Batch b;
  const auto eager_step = [&] {
    problem->flat().zero_grad();
    const Tensor loss = problem->forward(b, ForwardMode::Train).loss;
    autograd::backward(loss);
    StepContext ctx;
    ctx.learning_rate = 0.01;
    optimizer->step_for_capture(ctx);
  };
  for (int k = 0; k < 2; ++k) {  // warm-up, as the trainer does
    ASSERT_TRUE(problem->next(b));
    eager_step();
  }
  ASSERT_TRUE(problem->next(b));
  CudaGraphCapture capture(gpu);
  eager_step();
  const CudaGraph recorded = capture.finish();
  EXPECT_EQ(recorded.nodes(), j["nodes_per_step"].get<std::int64_t>());
  EXPECT_EQ(recorded.kernel_nodes(), j["kernel_nodes_per_step"].get<std::int64_t>());
  // Two convolutions, two poolings, two dense layers and the loss, forward and backward, and
  // the update: far more than the one launch a replay costs.
  EXPECT_GE(recorded.kernel_nodes(), 20);
  EXPECT_LE(recorded.kernel_nodes(), recorded.nodes());
}

TEST(CudaGraphFallback, AnOpThatRefusesCaptureLeavesTheRunEagerAndUnchanged) {
  SKIP_WITHOUT_GPU();
  const Case c{"tolstoi_char_rnn", "momentum", {{"momentum", "0.9"}}, 128, 1};
  const Trained eager = train_on_gpu(c, CudaGraphMode::Off);
  const Trained tried = train_on_gpu(c, CudaGraphMode::Auto);
  const auto& j = tried.record.extra["cuda_graph"];
  EXPECT_FALSE(j["enabled"].get<bool>());
  const std::string reason = j["reason"];
  EXPECT_EQ(reason.rfind("capturing step 2 failed: lstm is not CUDA-graph capture-safe: ", 0), 0u)
      << reason;
  EXPECT_NE(tried.log.find("CUDA graph: off (capturing step 2 failed"), std::string::npos)
      << tried.log;
  expect_same_run(tried, eager);
}

}  // namespace
}  // namespace deepobs::runner
