// The trainer's resume path on a model with every kind of state a checkpoint must carry: batch
// norm's moving statistics (module buffers updated in training), dropout (draws addressed by the
// model's step counter), per-phase state, Adam's slots, a Reshuffle data order (a new permutation
// and train_eval subset every pass) and a learning-rate schedule. A run stopped mid-epoch and
// resumed from its last epoch-boundary checkpoint, through the encoded bytes, ends with the
// curves, parameters and buffers of an uninterrupted run, bit for bit.
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>

#include "core/ops/activation.h"
#include "core/ops/batch_gather.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "datasets/synthetic.h"
#include "layers/batch_norm.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "optimizers/registry.h"
#include "runner/checkpoint.h"

namespace deepobs::runner {
namespace {

class StatefulModel : public problems::ProblemModel {
 public:
  explicit StatefulModel(PhiloxGenerator& gen) {
    fc1_ = &register_module("fc1",
                            std::make_unique<layers::Dense>(100, 32, layers::DenseOptions{}, gen));
    bn_ = &register_module(
        "bn", std::make_unique<layers::BatchNorm>(32, layers::BatchNormOptions{0.9, 1e-3, 1}));
    drop_ = &register_module("drop", std::make_unique<layers::Dropout>(0.3, 7, 0, step()));
    fc2_ = &register_module("fc2",
                            std::make_unique<layers::Dense>(32, 4, layers::DenseOptions{}, gen));
    passes_ = register_state("passes", Tensor::zeros({1}, DType::I64));
  }
  Output forward(const datasets::Batch& batch) override {
    ops::advance_(passes_, 1);
    const Tensor h = drop_->forward(ops::relu(bn_->forward(fc1_->forward(batch.inputs))));
    return {ops::mean(ops::square(fc2_->forward(h)), {1}), std::nullopt};
  }
  const layers::BatchNorm& bn() const { return *bn_; }

 private:
  layers::Dense *fc1_, *fc2_;
  layers::BatchNorm* bn_;
  layers::Dropout* drop_;
  Tensor passes_;
};

constexpr int kEpochs = 4;

// A fresh problem, optimizer and record, as a new process would build them.
struct ResumableRun {
  std::unique_ptr<problems::Problem> problem;
  std::unique_ptr<Optimizer> optimizer;
  RunRecord record;
  ResumableRun() {
    PhiloxGenerator gen(42, RngPurpose::Init);
    datasets::DataSetOptions data;
    data.batch_size = 64;
    data.order = datasets::DataOrder::Reshuffle;
    data.seed = 42;
    problem = std::make_unique<problems::Problem>(problems::ProblemInfo{},
                                                  std::make_unique<StatefulModel>(gen),
                                                  datasets::make_quadratic_data_set(data), 0.01);
    const OptimizerInfo& info = find_optimizer("adam");
    optimizer = std::make_unique<Optimizer>(info, problem->flat(),
                                            resolve_hyperparameters(info, {}), ProblemFacts{});
  }
  TrainOutcome train(TrainerConfig config) {
    config.num_epochs = kEpochs;
    config.train_log_interval = 3;
    std::ostringstream sink;
    Progress progress(sink, false, true);
    const LrSchedule schedule(0.01, {2}, {0.3});
    return runner::train(*problem, problem->flat(), *optimizer, schedule, config, progress, record);
  }
  std::vector<float> moving_mean() {
    return static_cast<StatefulModel&>(problem->model()).bn().moving_mean().to_vector<float>();
  }
};

void expect_same_run(ResumableRun& a, ResumableRun& b) {
  EXPECT_EQ(a.record.train_losses, b.record.train_losses);
  EXPECT_EQ(a.record.test_losses, b.record.test_losses);
  EXPECT_EQ(a.record.minibatch_train_losses, b.record.minibatch_train_losses);
  EXPECT_EQ(a.record.epoch_seconds.size(), b.record.epoch_seconds.size());
  EXPECT_EQ(a.record.step_time.steps, b.record.step_time.steps);
  EXPECT_EQ(a.problem->flat().params().to_vector<float>(),
            b.problem->flat().params().to_vector<float>());
  EXPECT_EQ(a.moving_mean(), b.moving_mean());
  EXPECT_EQ(a.problem->model().step().to_vector<std::int64_t>(),
            b.problem->model().step().to_vector<std::int64_t>());
  EXPECT_EQ(a.optimizer->state("m").to_vector<float>(), b.optimizer->state("m").to_vector<float>());
  EXPECT_EQ(a.optimizer->cost().steps, b.optimizer->cost().steps);
}

TEST(TrainerResume, StoppedMidEpochAndResumedEqualsAnUninterruptedRun) {
  ResumableRun reference;
  ASSERT_EQ(reference.train({}), TrainOutcome::Completed);
  ASSERT_EQ(reference.record.train_losses.size(), kEpochs + 1u);

  for (int at = 1; at < kEpochs; ++at) {
    // Stopped one step into the epoch after boundary `at`; the checkpoint of that boundary kept.
    ResumableRun stopped;
    std::atomic<bool> stop{false};
    std::string saved;
    TrainerConfig config;
    config.stop = &stop;
    config.at_epoch_boundary = [&](const LoopPosition& position) {
      if (position.epoch != at) return;
      saved = encode_checkpoint(
          capture_checkpoint("{}", position, *stopped.problem, *stopped.optimizer, stopped.record));
      stop = true;
    };
    ASSERT_EQ(stopped.train(config), TrainOutcome::Interrupted) << at;
    ASSERT_FALSE(saved.empty());

    ResumableRun resumed;
    const Checkpoint c = decode_checkpoint(saved, "memory");
    const LoopPosition position =
        restore_checkpoint(c, "memory", *resumed.problem, *resumed.optimizer, resumed.record);
    EXPECT_EQ(position.epoch, at);
    EXPECT_EQ(resumed.record.train_losses.size(), static_cast<std::size_t>(at) + 1);
    TrainerConfig resume;
    resume.resume = &position;
    ASSERT_EQ(resumed.train(resume), TrainOutcome::Completed) << at;
    expect_same_run(resumed, reference);
  }
}

TEST(TrainerResume, ACheckpointOfAnotherModelIsRefusedBeforeAnythingChanges) {
  ResumableRun a;
  Checkpoint c =
      capture_checkpoint("{}", LoopPosition{1, 0, 0, {}}, *a.problem, *a.optimizer, a.record);
  c.buffers[1].numel += 1;  // as if the model had another width
  ResumableRun b;
  const auto before = b.problem->flat().params().to_vector<float>();
  try {
    restore_checkpoint(c, "x.checkpoint", *b.problem, *b.optimizer, b.record);
    FAIL() << "a mismatching buffer was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.checkpoint does not fit this model"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(b.problem->flat().params().to_vector<float>(), before);
  c = capture_checkpoint("{}", LoopPosition{1, 0, 0, {}}, *a.problem, *a.optimizer, a.record);
  c.data_state.pop_back();
  EXPECT_THROW(restore_checkpoint(c, "x.checkpoint", *b.problem, *b.optimizer, b.record), Error);
}

}  // namespace
}  // namespace deepobs::runner
