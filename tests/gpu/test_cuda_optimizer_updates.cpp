// The fused CUDA update kernels of the built-in optimizers (kernels/cuda/optimizer_updates.h)
// against the CPU reference loops (kernels/cpu/optimizer_updates.h), several steps in a row with
// fresh random gradients and a learning rate that changes between steps, in f32 and f64, on sizes
// that leave a partial block and that need the grid-stride loop.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/cpu/optimizer_updates.h"
#include "tests/gpu/twin.h"

#if DEEPOBS_WITH_CUDA
#include "core/cuda_backend.h"
#include "kernels/cuda/optimizer_updates.h"
#endif

namespace deepobs {
namespace {

#if DEEPOBS_WITH_CUDA

constexpr int kSteps = 5;
// 1000003: a partial last block; 1048576 + 12345: more elements than the kernels' capped grid
// (4096 blocks × 256 threads) covers in one sweep, so the grid-stride loop runs twice.
const std::vector<std::int64_t> kSizes = {1000003, (std::int64_t{1} << 20) + 12345};
const double kLearningRates[kSteps] = {0.1, 0.05, 0.05, 0.3, 1e-3};

template <class T>
DType dtype_of() {
  return sizeof(T) == 8 ? DType::F64 : DType::F32;
}

// A random CPU tensor of dtype T (values in [lo, hi), never zero).
template <class T>
Tensor random(std::int64_t n, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
  return twin::random_tensor({n}, seed, lo, hi).to(dtype_of<T>());
}

struct DeviceLr {
  Tensor value = Tensor::zeros({1}, DType::F64, Device::cuda(0));
  void set(double lr) { value.copy_from(Tensor::full({1}, lr, DType::F64)); }
  const double* ptr() const { return static_cast<const double*>(value.raw_data()); }
};

void* stream() {
  return cuda_backend::stream(Device::cuda(0));
}

template <class T>
void check_sgd(std::int64_t n) {
  Tensor param_cpu = random<T>(n, 1);
  Tensor param_gpu = param_cpu.to(Device::cuda(0));
  DeviceLr lr;
  for (int s = 0; s < kSteps; ++s) {
    const Tensor grad = random<T>(n, 100 + static_cast<std::uint64_t>(s));
    const Tensor grad_gpu = grad.to(Device::cuda(0));
    lr.set(kLearningRates[s]);
    kernels::cpu::sgd_update<T>(param_cpu.data<T>(), grad.data<T>(), n,
                                static_cast<T>(kLearningRates[s]));
    kernels::cuda::sgd_update<T>(static_cast<T*>(param_gpu.raw_data()),
                                 static_cast<const T*>(grad_gpu.raw_data()), n, lr.ptr(), stream());
  }
  // Same T scalars, round-to-nearest intrinsics without FMA contraction on both sides.
  twin::expect_identical(param_gpu, param_cpu, "sgd");
}

template <class T>
void check_momentum(std::int64_t n, bool nesterov) {
  Tensor param_cpu = random<T>(n, 2);
  Tensor accum_cpu = Tensor::zeros({n}, dtype_of<T>());
  Tensor param_gpu = param_cpu.to(Device::cuda(0));
  Tensor accum_gpu = accum_cpu.to(Device::cuda(0));
  DeviceLr lr;
  const T momentum = static_cast<T>(0.9);
  for (int s = 0; s < kSteps; ++s) {
    const Tensor grad = random<T>(n, 200 + static_cast<std::uint64_t>(s));
    const Tensor grad_gpu = grad.to(Device::cuda(0));
    lr.set(kLearningRates[s]);
    kernels::cpu::momentum_update<T>(param_cpu.data<T>(), grad.data<T>(), accum_cpu.data<T>(), n,
                                     static_cast<T>(kLearningRates[s]), momentum, nesterov);
    kernels::cuda::momentum_update<T>(
        static_cast<T*>(param_gpu.raw_data()), static_cast<const T*>(grad_gpu.raw_data()),
        static_cast<T*>(accum_gpu.raw_data()), n, lr.ptr(), momentum, nesterov, stream());
  }
  twin::expect_identical(accum_gpu, accum_cpu, nesterov ? "nesterov accumulator" : "accumulator");
  twin::expect_identical(param_gpu, param_cpu, nesterov ? "nesterov params" : "momentum params");
}

template <class T>
void check_adam(std::int64_t n) {
  const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  Tensor param_cpu = random<T>(n, 3);
  Tensor m_cpu = Tensor::zeros({n}, dtype_of<T>());
  Tensor v_cpu = Tensor::zeros({n}, dtype_of<T>());
  Tensor param_gpu = param_cpu.to(Device::cuda(0));
  Tensor m_gpu = m_cpu.to(Device::cuda(0));
  Tensor v_gpu = v_cpu.to(Device::cuda(0));
  Tensor count_gpu = Tensor::zeros({1}, DType::I64, Device::cuda(0));
  Tensor done_gpu = Tensor::zeros({1}, DType::I32, Device::cuda(0));  // the block counter
  DeviceLr lr;
  for (int s = 0; s < kSteps; ++s) {
    const Tensor grad = random<T>(n, 300 + static_cast<std::uint64_t>(s));
    const Tensor grad_gpu = grad.to(Device::cuda(0));
    lr.set(kLearningRates[s]);
    const double lr_t = kernels::cpu::adam_step_size(kLearningRates[s], beta1, beta2, s + 1);
    kernels::cpu::adam_update<T>(param_cpu.data<T>(), grad.data<T>(), m_cpu.data<T>(),
                                 v_cpu.data<T>(), n, static_cast<T>(lr_t), static_cast<T>(beta1),
                                 static_cast<T>(beta2), static_cast<T>(epsilon));
    kernels::cuda::adam_update<T>(
        static_cast<T*>(param_gpu.raw_data()), static_cast<const T*>(grad_gpu.raw_data()),
        static_cast<T*>(m_gpu.raw_data()), static_cast<T*>(v_gpu.raw_data()), n, lr.ptr(),
        static_cast<std::int64_t*>(count_gpu.raw_data()),
        static_cast<unsigned int*>(done_gpu.raw_data()), beta1, beta2, static_cast<T>(epsilon),
        stream());
  }
  // The moments use the same T scalars and no FMA: identical.
  twin::expect_identical(m_gpu, m_cpu, "adam m");
  twin::expect_identical(v_gpu, v_cpu, "adam v");
  // The step size lr·√(1-β2ᵗ)/(1-β1ᵗ) is computed on the device with CUDA's pow (up to 2 ulp in
  // double, glibc's is correctly rounded), so lr_t may differ in its last bit; the change per step
  // is then ~1 ulp of the update, at most kSteps ulps of the parameter after kSteps steps.
  const double ulp = sizeof(T) == 8 ? 2.2e-16 : 1.2e-7;
  twin::expect_close(param_gpu, param_cpu, 4 * kSteps * ulp, 4 * kSteps * ulp,
                     "Adam step size from CUDA pow vs glibc pow: last-bit differences");
  EXPECT_EQ(count_gpu.to(Device::cpu()).to_vector<std::int64_t>()[0], kSteps);
  EXPECT_EQ(done_gpu.to(Device::cpu()).to_vector<std::int32_t>()[0], 0)
      << "the block counter must be reset for the next step";
}

TEST(CudaOptimizerUpdates, SgdMatchesTheCpuBitForBit) {
  SKIP_WITHOUT_GPU();
  for (const auto n : kSizes) {
    check_sgd<float>(n);
    check_sgd<double>(n);
  }
}

TEST(CudaOptimizerUpdates, MomentumAndNesterovMatchTheCpuBitForBit) {
  SKIP_WITHOUT_GPU();
  for (const auto n : kSizes)
    for (const bool nesterov : {false, true}) {
      check_momentum<float>(n, nesterov);
      check_momentum<double>(n, nesterov);
    }
}

TEST(CudaOptimizerUpdates, AdamMatchesTheCpuAndCountsItsSteps) {
  SKIP_WITHOUT_GPU();
  for (const auto n : kSizes) {
    check_adam<float>(n);
    check_adam<double>(n);
  }
}

#else

TEST(CudaOptimizerUpdates, SgdMatchesTheCpuBitForBit) {
  SKIP_WITHOUT_GPU();
}
TEST(CudaOptimizerUpdates, MomentumAndNesterovMatchTheCpuBitForBit) {
  SKIP_WITHOUT_GPU();
}
TEST(CudaOptimizerUpdates, AdamMatchesTheCpuAndCountsItsSteps) {
  SKIP_WITHOUT_GPU();
}

#endif

}  // namespace
}  // namespace deepobs
