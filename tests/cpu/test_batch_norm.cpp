// Batch normalisation: the op against hand-computed values in both modes, TF's moving-average
// convention and arithmetic over three steps, the layer's behaviour per ForwardMode (running
// statistics change in Train only), its parameters and buffers, and bad input. The gradients are
// rows of the op table (tests/common/op_cases.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/flat_parameters.h"
#include "core/ops/batch_norm.h"
#include "layers/batch_norm.h"
#include "tests/common/expect_error.h"

namespace deepobs {
namespace {

// x [2, 2, 1, 2]: channel 0 holds {1, 2, 3, 6} (mean 3, Σ(x − mean)² = 14), channel 1 holds
// {−1, −1, 1, 1} (mean 0, Σ = 4).
Tensor batch(DType dtype, double scale = 1.0, double shift = 0.0) {
  std::vector<double> v = {1, 2, -1, -1, 3, 6, 1, 1};
  for (double& x : v)
    x = x * scale + shift;
  return Tensor::from_vector(v, {2, 2, 1, 2}).to(dtype);
}

std::vector<double> values(const Tensor& t) {
  return t.to(DType::F64).to_vector<double>();
}

TEST(BatchNorm, TrainingModeUsesTheBiasedBatchVarianceAndReportsTheCorrectedOne) {
  const Tensor x = batch(DType::F64);
  const Tensor gamma = Tensor::from_vector<double>({2.0, 0.5}, {2});
  const Tensor beta = Tensor::from_vector<double>({0.1, -0.3}, {2});
  ops::BatchStatistics stats;
  const Tensor y = ops::batch_norm_train(x, gamma, beta, 1e-3, &stats);
  const double s0 = 2.0 / std::sqrt(14.0 / 4 + 1e-3), s1 = 0.5 / std::sqrt(4.0 / 4 + 1e-3);
  const std::vector<double> expected = {
      (1 - 3) * s0 + 0.1, (2 - 3) * s0 + 0.1, -s1 - 0.3, -s1 - 0.3,
      (3 - 3) * s0 + 0.1, (6 - 3) * s0 + 0.1, s1 - 0.3,  s1 - 0.3};
  const auto got = values(y);
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(got[i], expected[i], 1e-12) << i;
  // What feeds the moving averages: the mean and Σ(x − mean)²/(M − 1), as TF's fused batch norm.
  EXPECT_EQ(values(stats.mean), (std::vector<double>{3.0, 0.0}));
  EXPECT_NEAR(values(stats.variance)[0], 14.0 / 3, 1e-12);
  EXPECT_NEAR(values(stats.variance)[1], 4.0 / 3, 1e-12);
}

TEST(BatchNorm, InferenceModeUsesTheGivenStatistics) {
  const Tensor x = batch(DType::F64);
  const Tensor gamma = Tensor::from_vector<double>({2.0, 0.5}, {2});
  const Tensor beta = Tensor::from_vector<double>({0.1, -0.3}, {2});
  const Tensor mean = Tensor::from_vector<double>({1.0, -2.0}, {2});
  const Tensor var = Tensor::from_vector<double>({4.0, 0.25}, {2});
  const auto got = values(ops::batch_norm_inference(x, gamma, beta, mean, var, 1e-3));
  const double s0 = 2.0 / std::sqrt(4.0 + 1e-3), s1 = 0.5 / std::sqrt(0.25 + 1e-3);
  const std::vector<double> in = values(x);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const bool c0 = (i / 2) % 2 == 0;
    const double want = c0 ? (in[i] - 1.0) * s0 + 0.1 : (in[i] + 2.0) * s1 - 0.3;
    EXPECT_NEAR(got[i], want, 1e-12) << i;
  }
}

layers::BatchNorm wrn_norm(DType dtype) {
  layers::BatchNormOptions o;
  o.momentum = 0.9;
  o.epsilon = 1e-5;
  o.dtype = dtype;
  return layers::BatchNorm(2, o);
}

// moving = momentum·moving + (1 − momentum)·batch with momentum 0.9, from mean 0 and variance 1,
// for three batches: x (means 3, 0; corrected variances 14/3, 4/3), 2x + 1 (7, 1; 56/3, 16/3),
// x − 5 (−2, −5; 14/3, 4/3). Worked by hand:
//   mean ch0 0.3, 0.97, 0.673          ch1 0, 0.1, −0.41
//   var  ch0 41/30, 92.9/30, 97.61/30  ch1 31/30, 43.9/30, 43.51/30
// PyTorch's convention (momentum = weight of the new value) would give 2.7 after the first step.
TEST(BatchNorm, MovingAveragesFollowTfsMomentumConventionOverThreeSteps) {
  layers::BatchNormOptions o;
  o.momentum = 0.9;
  o.epsilon = 1e-5;
  o.dtype = DType::F64;
  layers::BatchNorm bn(2, o);
  bn.set_mode(ForwardMode::Train);
  const std::vector<std::vector<double>> means = {{0.3, 0.0}, {0.97, 0.1}, {0.673, -0.41}};
  const std::vector<std::vector<double>> vars = {
      {41.0 / 30, 31.0 / 30}, {92.9 / 30, 43.9 / 30}, {97.61 / 30, 43.51 / 30}};
  const Tensor inputs[] = {batch(DType::F64), batch(DType::F64, 2, 1), batch(DType::F64, 1, -5)};
  for (int step = 0; step < 3; ++step) {
    bn.forward(inputs[step]);
    for (int c = 0; c < 2; ++c) {
      EXPECT_NEAR(values(bn.moving_mean())[c], means[step][c], 1e-12) << step << " " << c;
      EXPECT_NEAR(values(bn.moving_variance())[c], vars[step][c], 1e-12) << step << " " << c;
    }
    if (step == 0) {
      EXPECT_GT(std::abs(values(bn.moving_mean())[0] - 2.7), 1.0);
    }
  }
}

// In f32 the update is TF's literally: moving −= (moving − batch)·decay with decay = 1 − 0.9f =
// 0.100000024f (DeepOBS's training flag is a tensor, so keras' momentum is an f32 tensor).
TEST(BatchNorm, F32UpdateIsTfsAssignSubWithAnF32Decay) {
  layers::BatchNorm bn = wrn_norm(DType::F32);
  bn.set_mode(ForwardMode::Train);
  bn.forward(batch(DType::F32));
  const float decay = 1.0f - 0.9f;
  const float want_mean = 0.0f - (0.0f - 3.0f) * decay;
  const float want_var = 1.0f - (1.0f - static_cast<float>(14.0 / 3)) * decay;
  EXPECT_EQ(bn.moving_mean().to_vector<float>()[0], want_mean);
  EXPECT_EQ(bn.moving_variance().to_vector<float>()[0], want_var);
  EXPECT_NE(want_mean, 0.9f * 0.0f + 0.1f * 3.0f);  // the textbook f32 form rounds elsewhere
}

TEST(BatchNorm, RunningStatisticsChangeInTrainModeOnly) {
  layers::BatchNorm bn = wrn_norm(DType::F32);
  layers::BatchNorm twin = wrn_norm(DType::F32);
  const Tensor x = batch(DType::F32, 1.5, 0.25);
  bn.set_mode(ForwardMode::Train);
  const auto y_train = bn.forward(x).to_vector<float>();
  const auto mean = bn.moving_mean().to_vector<float>();
  const auto var = bn.moving_variance().to_vector<float>();
  EXPECT_NE(mean, (std::vector<float>{0, 0}));
  // Closure: the step's function (batch statistics, same bits as Train), nothing updated.
  twin.set_mode(ForwardMode::Closure);
  for (int k = 0; k < 3; ++k)
    EXPECT_EQ(twin.forward(x).to_vector<float>(), y_train);
  EXPECT_EQ(twin.moving_mean().to_vector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ(twin.moving_variance().to_vector<float>(), (std::vector<float>{1, 1}));
  bn.set_mode(ForwardMode::Closure);
  bn.forward(x);
  {
    autograd::NoGrad no_grad;
    bn.set_mode(ForwardMode::Eval);
    const auto y_eval = bn.forward(x).to_vector<float>();
    // Eval normalises with the moving statistics.
    const auto in = x.to_vector<float>();
    for (std::size_t i = 0; i < in.size(); ++i) {
      const std::size_t c = (i / 2) % 2;
      EXPECT_NEAR(y_eval[i], (in[i] - mean[c]) / std::sqrt(var[c] + 1.001e-5), 1e-5) << i;
    }
  }
  EXPECT_EQ(bn.moving_mean().to_vector<float>(), mean);
  EXPECT_EQ(bn.moving_variance().to_vector<float>(), var);
}

TEST(BatchNorm, ScaleAndShiftAreUnregularisedParametersAndTheStatisticsAreBuffers) {
  layers::BatchNormOptions o;
  o.layer_index = 4;
  layers::BatchNorm bn(3, o);
  const auto params = bn.named_parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].name, "gamma");
  EXPECT_EQ(params[0].param->tags.kind, ParamKind::NormScale);
  EXPECT_EQ(params[1].name, "beta");
  EXPECT_EQ(params[1].param->tags.kind, ParamKind::NormShift);
  for (const auto& p : params) {
    EXPECT_FALSE(p.param->tags.regularised) << p.name;
    EXPECT_EQ(p.param->tags.layer_index, 4);
  }
  EXPECT_EQ(bn.gamma().to_vector<float>(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(bn.beta().to_vector<float>(), (std::vector<float>{0, 0, 0}));
  const auto buffers = bn.named_buffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].name, "moving_mean");
  EXPECT_EQ(buffers[1].name, "moving_variance");
  EXPECT_FALSE(buffers[0].buffer->requires_grad());
  EXPECT_EQ(bn.parameter_count(), 6);
  // The flat buffer (what optimizers and plugins see) holds gamma and beta only.
  FlatParameters flat(bn);
  ASSERT_EQ(flat.segments().size(), 2u);
  EXPECT_EQ(flat.segments()[0].numel + flat.segments()[1].numel, 6);
  // Defaults are TF's (momentum 0.99, epsilon 1e-3); epsilon is raised as tf.nn.fused_batch_norm
  // raises it.
  EXPECT_EQ(bn.momentum(), 0.99);
  EXPECT_EQ(bn.epsilon(), 1e-3);
  EXPECT_EQ(wrn_norm(DType::F32).epsilon(), 1.001e-5);
}

TEST(BatchNorm, BadInputNamesTheProblem) {
  layers::BatchNormOptions o;
  o.momentum = 1.5;
  testing::expect_error([&] { layers::BatchNorm(2, o); }, {"BatchNorm", "momentum", "1.5"});
  o.momentum = 0.9;
  o.epsilon = 0;
  testing::expect_error([&] { layers::BatchNorm(2, o); }, {"BatchNorm", "epsilon"});
  o.epsilon = 1e-3;
  testing::expect_error([&] { layers::BatchNorm(0, o); }, {"BatchNorm", "channels"});
  layers::BatchNorm bn(3, o);
  testing::expect_error([&] { bn.forward(batch(DType::F32)); },
                        {"batch_norm_train", "gamma [3]", "[2,2,1,2]"});
  const Tensor one = Tensor::ones({2});
  testing::expect_error([&] { ops::batch_norm_train(Tensor::ones({4}), one, one, 1e-3); },
                        {"batch_norm_train", "rank >= 2"});
  testing::expect_error([&] { ops::batch_norm_train(batch(DType::F32), one, one, -1); },
                        {"batch_norm_train", "epsilon"});
  testing::expect_error(
      [&] { ops::batch_norm_inference(batch(DType::F32), one, one, Tensor::ones({3}), one, 1e-3); },
      {"batch_norm_inference", "mean [3]"});
  ops::BatchStatistics s{Tensor::ones({2}), Tensor::ones({2})};
  testing::expect_error([&] { ops::update_moving_statistics_(one.clone(), one.clone(), s, -0.1); },
                        {"update_moving_statistics_", "momentum"});
}

}  // namespace
}  // namespace deepobs
