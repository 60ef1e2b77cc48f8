// CUDA tensors: creation, fills, copies between devices, dtype conversion on the device, flat
// parameters and gradient accumulation on the GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/autograd.h"
#include "core/cuda_backend.h"
#include "core/flat_parameters.h"
#include "core/module.h"
#include "core/ops/elementwise.h"
#include "tests/common/expect_error.h"
#include "twin.h"

namespace deepobs {
namespace {

const Device kGpu = Device::cuda(0);

TEST(CudaTensor, CreationAndFills) {
  SKIP_WITHOUT_GPU();
  const Tensor z = Tensor::zeros({3, 1000}, DType::F32, kGpu);
  EXPECT_EQ(z.device(), kGpu);
  EXPECT_EQ(z.to_vector<float>(), std::vector<float>(3000, 0.0f));
  EXPECT_EQ(Tensor::ones({7}, DType::F32, kGpu).to_vector<float>(), std::vector<float>(7, 1.0f));
  EXPECT_EQ(Tensor::full({5}, -2.5, DType::F64, kGpu).to_vector<double>(),
            std::vector<double>(5, -2.5));
  EXPECT_EQ(Tensor::full({9}, 300, DType::I32, kGpu).to_vector<std::int32_t>(),
            std::vector<std::int32_t>(9, 300));
  EXPECT_EQ(Tensor::full({9}, 7, DType::U8, kGpu).to_vector<std::uint8_t>(),
            std::vector<std::uint8_t>(9, 7));
  EXPECT_EQ(Tensor::scalar(4.25, DType::F32, kGpu).item(), 4.25);
  const Tensor e = Tensor::empty({100003}, DType::I64, kGpu);
  e.fill(-3.0);
  EXPECT_EQ(e.to_vector<std::int64_t>(), std::vector<std::int64_t>(100003, -3));
  // -0.0 is not the zero bit pattern: it goes through the fill kernel, not the memset.
  const Tensor m = Tensor::full({4}, -0.0, DType::F32, kGpu);
  for (float v : m.to_vector<float>())
    EXPECT_TRUE(std::signbit(v));
}

TEST(CudaTensor, RoundTripsAndCopies) {
  SKIP_WITHOUT_GPU();
  const Tensor c = twin::random_tensor({17, 33}, 1);
  const Tensor g = c.to(kGpu);
  EXPECT_TRUE(g.device().is_cuda());
  twin::expect_identical(g, c, "cpu → gpu → cpu");
  const Tensor g2 = g.clone();
  EXPECT_FALSE(g2.same_storage(g));
  twin::expect_identical(g2, c, "clone on the device");
  const Tensor g3 = g.to(kGpu);  // same device: a copy
  EXPECT_FALSE(g3.same_storage(g));
  twin::expect_identical(g3, c, "to(same device)");
  // copy_from in every direction.
  const Tensor dst_gpu = Tensor::empty(c.shape(), DType::F32, kGpu);
  dst_gpu.copy_from(c);
  twin::expect_identical(dst_gpu, c, "copy_from host");
  const Tensor dst_cpu = Tensor::empty(c.shape());
  dst_cpu.copy_from(g);
  twin::expect_identical(dst_cpu, c, "copy_from device");
  // A narrowed view copies only its rows.
  const Tensor rows = g.narrow0(3, 5).to(Device::cpu());
  twin::expect_identical(rows, c.narrow0(3, 5).clone(), "narrow0 of a device tensor");
  if (Device::cuda_device_count() > 1) {
    const Tensor other = g.to(Device::cuda(1));
    EXPECT_EQ(other.device(), Device::cuda(1));
    twin::expect_identical(other, c, "cuda:0 → cuda:1");
    const Tensor back = Tensor::empty(c.shape(), DType::F32, kGpu);
    back.copy_from(other);
    twin::expect_identical(back, c, "copy_from across devices");
  }
}

TEST(CudaTensor, DtypeConversionOnTheDevice) {
  SKIP_WITHOUT_GPU();
  const Tensor u8 = Tensor::from_vector<std::uint8_t>({0, 1, 127, 200, 255}, {5});
  const Tensor f = u8.to(kGpu).to(DType::F32);
  EXPECT_TRUE(f.device().is_cuda());
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{0, 1, 127, 200, 255}));
  const Tensor d = twin::random_tensor({1000}, 2, -100, 100);
  // f32 → f64 → i32 → i64 on both sides: C++ conversion rules (truncation toward zero).
  const Tensor cpu_chain = d.to(DType::F64).to(DType::I32).to(DType::I64);
  const Tensor gpu_chain = d.to(kGpu).to(DType::F64).to(DType::I32).to(DType::I64);
  EXPECT_EQ(gpu_chain.to_vector<std::int64_t>(), cpu_chain.to_vector<std::int64_t>());
  twin::expect_identical(d.to(kGpu).to(DType::F64).to(DType::F32), d, "f32 → f64 → f32");
}

TEST(CudaTensor, GradientsAccumulateOnTheDevice) {
  SKIP_WITHOUT_GPU();
  // x is used three times, so its gradient is a sum of contributions (accumulate_grad's add,
  // first into a fresh tensor, then in place).
  const auto grad_on = [](Device dev) {
    Tensor x = twin::random_tensor({10, 10}, 3).to(dev);
    x.set_requires_grad(true);
    const Tensor y = ops::add(ops::mul(x, x), ops::mul_scalar(x, 3.0));
    autograd::backward(ops::sum_to(y, {}));
    EXPECT_EQ(x.grad().device(), dev);
    return x.grad();
  };
  const Tensor cpu_grad = grad_on(Device::cpu());
  // Elementwise adds and multiplies in the same order on both devices: exact.
  twin::expect_identical(grad_on(kGpu), cpu_grad, "gradient of x·x + 3x");
}

class TwoParams : public Module {
 public:
  TwoParams() {
    w = register_parameter("w", twin::random_tensor({3, 5}, 1), {});
    b = register_parameter("b", twin::random_tensor({5}, 2), {});
  }
  Tensor w, b;
};

TEST(CudaTensor, FlatParametersOnTheDevice) {
  SKIP_WITHOUT_GPU();
  TwoParams cpu_model, gpu_model;
  FlatParameters cpu_flat(cpu_model);
  FlatParameters gpu_flat(gpu_model, kGpu);
  EXPECT_EQ(gpu_flat.params().device(), kGpu);
  EXPECT_EQ(gpu_flat.grads().device(), kGpu);
  EXPECT_EQ(gpu_model.w.device(), kGpu);  // re-pointed into the device buffer
  twin::expect_identical(gpu_flat.params(), cpu_flat.params(), "packed parameters");
  const Tensor x = twin::random_tensor({4, 5}, 9);
  for (int step = 0; step < 2; ++step) {  // twice: gradients accumulate into the flat buffer
    autograd::backward(ops::sum_to(ops::mul(ops::add(x, cpu_model.b), cpu_model.b), {}));
    autograd::backward(ops::sum_to(ops::mul(ops::add(x.to(kGpu), gpu_model.b), gpu_model.b), {}));
  }
  twin::expect_close(gpu_flat.grads(), cpu_flat.grads(), 1e-6, 1e-6,
                     "bias gradient sums 4 rows in double in a different order");
  gpu_flat.zero_grad();
  EXPECT_EQ(gpu_flat.grads().to_vector<float>(),
            std::vector<float>(static_cast<std::size_t>(gpu_flat.size()), 0.0f));
}

TEST(CudaTensor, BackendQueries) {
  SKIP_WITHOUT_GPU();
  EXPECT_NE(cuda_backend::stream(kGpu), nullptr);
  EXPECT_EQ(cuda_backend::stream(Device::cpu()), nullptr);
  cuda_backend::set_policies(kGpu, {true, false});
  EXPECT_TRUE(cuda_backend::policies(kGpu).deterministic);
  cuda_backend::set_policies(kGpu, {});
  EXPECT_FALSE(cuda_backend::policies(kGpu).deterministic);
  cuda_backend::IntervalTimer timer(kGpu);
  timer.begin();
  const Tensor t = Tensor::ones({1 << 20}, DType::F32, kGpu);
  timer.end();
  const double ms = timer.collect_ms().at(0);
  EXPECT_GE(ms, 0.0);
  cuda_backend::synchronize(kGpu);
  EXPECT_EQ(t.to_vector<float>()[12345], 1.0f);
}

TEST(CudaTensor, MixedDeviceErrors) {
  SKIP_WITHOUT_GPU();
  const Tensor c = twin::random_tensor({3}, 1);
  const Tensor g = c.to(kGpu);
  testing::expect_error([&] { ops::sub(c, g); }, {"sub", "cpu", "cuda:0"});
  testing::expect_error([&] { Tensor::empty({2}, DType::F32, Device::cuda(99)); },
                        {"cuda:99", "CUDA device"});
  testing::expect_error(
      [&] { Tensor::empty({2}, DType::F32, kGpu).copy_from(twin::random_tensor({3}, 1)); },
      {"copy_from"});
}

}  // namespace
}  // namespace deepobs
