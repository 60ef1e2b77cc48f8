// Batch norm on cuDNN against the CPU twin beyond the op table's small rows: a WRN-sized channel
// (M = 16·16·16 values), the batch statistics that feed the moving averages (cuDNN's running
// outputs with factor 1 vs the CPU's double sums), the layer over three Train steps, Module::to
// carrying the buffers, Closure/Eval leaving them untouched on the device, and bit-identical
// reruns of cuDNN's backward. Skips cleanly without a usable GPU.
#include <gtest/gtest.h>

#include <vector>

#include "core/autograd.h"
#include "core/ops/batch_norm.h"
#include "layers/batch_norm.h"
#include "twin.h"

namespace deepobs {
namespace {

constexpr const char* kWhy =
    "cuDNN's f32 reductions in its own order vs the CPU's double sums, divided by a batch "
    "deviation";

layers::BatchNorm make_norm(std::int64_t channels) {
  layers::BatchNormOptions o;
  o.momentum = 0.9;
  o.epsilon = 1e-5;
  return layers::BatchNorm(channels, o);
}

TEST(CudaBatchNorm, TrainingForwardBackwardAndStatisticsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  const Tensor x = twin::random_tensor({16, 8, 16, 16}, 3, -2.0, 3.0);
  const Tensor gamma = twin::random_tensor({8}, 4, 0.5, 1.5);
  const Tensor beta = twin::random_tensor({8}, 5);
  const Tensor dy = twin::random_tensor(x.shape(), 6);
  struct Result {
    Tensor y, dx, dgamma, dbeta, mean, variance;
  };
  const auto run = [&](Device d) {
    Tensor xs = x.to(d), g = gamma.to(d), b = beta.to(d);
    xs.set_requires_grad(true);
    g.set_requires_grad(true);
    b.set_requires_grad(true);
    ops::BatchStatistics s;
    const Tensor y = ops::batch_norm_train(xs, g, b, 1.001e-5, &s);
    autograd::backward(y, dy.to(d));
    const Device cpu = Device::cpu();
    return Result{y.to(cpu),        xs.grad().to(cpu), g.grad().to(cpu),
                  b.grad().to(cpu), s.mean.to(cpu),    s.variance.to(cpu)};
  };
  const Result c = run(Device::cpu()), g = run(Device::cuda(0));
  twin::expect_close(g.y, c.y, 1e-5, 1e-5, std::string("y: ") + kWhy);
  twin::expect_close(g.mean, c.mean, 1e-5, 1e-6, std::string("batch mean: ") + kWhy);
  twin::expect_close(g.variance, c.variance, 1e-5, 0,
                     std::string("Bessel-corrected batch variance: ") + kWhy);
  twin::expect_close(g.dbeta, c.dbeta, 1e-5, 1e-4, std::string("dbeta: ") + kWhy);
  twin::expect_close(g.dgamma, c.dgamma, 1e-4, 1e-4, std::string("dgamma: ") + kWhy);
  twin::expect_close(g.dx, c.dx, 1e-4, 1e-5, std::string("dx: ") + kWhy);
}

TEST(CudaBatchNorm, LayerMovesItsBuffersAndUpdatesThemInTrainOnly) {
  SKIP_WITHOUT_GPU();
  layers::BatchNorm cpu = make_norm(8), gpu = make_norm(8);
  gpu.to(Device::cuda(0));
  EXPECT_EQ(gpu.moving_mean().device(), Device::cuda(0));
  EXPECT_EQ(gpu.moving_variance().device(), Device::cuda(0));
  EXPECT_EQ(gpu.gamma().device(), Device::cuda(0));
  twin::expect_identical(gpu.moving_variance(), cpu.moving_variance(), "moved buffers");
  for (int step = 0; step < 3; ++step) {
    const Tensor x = twin::random_tensor({16, 8, 8, 8}, 10 + step, -1.0 + step, 2.0 + step);
    cpu.set_mode(ForwardMode::Train);
    gpu.set_mode(ForwardMode::Train);
    twin::expect_close(gpu.forward(x.to(Device::cuda(0))), cpu.forward(x), 1e-5, 1e-5, kWhy);
    twin::expect_close(gpu.moving_mean(), cpu.moving_mean(), 1e-5, 1e-6, kWhy);
    twin::expect_close(gpu.moving_variance(), cpu.moving_variance(), 1e-5, 0, kWhy);
    // Closure and Eval on the device leave the statistics as they are, bit for bit.
    const Tensor mean = gpu.moving_mean().to(Device::cpu());
    const Tensor var = gpu.moving_variance().to(Device::cpu());
    gpu.set_mode(ForwardMode::Closure);
    gpu.forward(x.to(Device::cuda(0)));
    {
      autograd::NoGrad no_grad;
      gpu.set_mode(ForwardMode::Eval);
      cpu.set_mode(ForwardMode::Eval);
      twin::expect_close(gpu.forward(x.to(Device::cuda(0))), cpu.forward(x), 1e-5, 1e-5,
                         "cuDNN's inference kernel vs the CPU's, moving statistics within 1e-5");
    }
    twin::expect_identical(gpu.moving_mean(), mean, "moving mean after Closure and Eval");
    twin::expect_identical(gpu.moving_variance(), var, "moving variance after Closure and Eval");
  }
}

TEST(CudaBatchNorm, BackwardRerunsAreBitIdentical) {
  SKIP_WITHOUT_GPU();
  const Tensor x = twin::random_tensor({32, 16, 16, 16}, 21).to(Device::cuda(0));
  const Tensor dy = twin::random_tensor(x.shape(), 22).to(Device::cuda(0));
  const auto grads = [&] {
    Tensor xs = x.clone(), g = Tensor::ones({16}).to(Device::cuda(0)),
           b = Tensor::zeros({16}).to(Device::cuda(0));
    for (Tensor* t : {&xs, &g, &b})
      t->set_requires_grad(true);
    autograd::backward(ops::batch_norm_train(xs, g, b, 1.001e-5), dy);
    return std::vector<Tensor>{xs.grad().to(Device::cpu()), g.grad().to(Device::cpu())};
  };
  const auto first = grads(), second = grads();
  twin::expect_identical(second[0], first[0], "dx of two identical backward calls");
  twin::expect_identical(second[1], first[1], "dgamma of two identical backward calls");
}

}  // namespace
}  // namespace deepobs
