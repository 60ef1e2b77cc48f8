// What a machine without a usable GPU (or a CPU-only build) says when asked for CUDA: clear
// errors for tensors, and empty answers from core/cuda_backend.h.
#include <gtest/gtest.h>

#include "core/cuda_backend.h"
#include "core/device.h"
#include "core/tensor.h"
#include "tests/common/expect_error.h"

namespace deepobs {
namespace {

TEST(CudaUnavailable, TensorOnCudaIsAClearError) {
  if (Device::cuda_available()) GTEST_SKIP() << "a GPU is present";
  const std::string why = Device::cuda_built() ? "no usable CUDA device" : "no CUDA backend";
  testing::expect_error([] { Tensor::empty({2, 3}, DType::F32, Device::cuda()); }, {"cuda:0", why});
  testing::expect_error([] { Tensor::zeros({2}, DType::F32, Device::cuda(1)).fill(1.0); },
                        {"cuda:1", why});
  const Tensor c = Tensor::ones({2});
  testing::expect_error([&] { (void)c.to(Device::cuda()); }, {"cuda:0", why});
}

TEST(CudaUnavailable, BackendQueriesForTheCpuAreEmpty) {
  EXPECT_EQ(cuda_backend::stream(Device::cpu()), nullptr);
  const auto stats = cuda_backend::memory_stats(Device::cpu());
  EXPECT_EQ(stats.current_bytes, 0);
  EXPECT_EQ(stats.cuda_malloc_calls, 0);
  cuda_backend::set_policies(Device::cpu(), {true, true});  // no effect on the CPU
  EXPECT_FALSE(cuda_backend::policies(Device::cpu()).deterministic);
  cuda_backend::synchronize(Device::cpu());
  cuda_backend::IntervalTimer timer(Device::cpu());
  timer.begin();
  volatile double acc = 0;
  for (int i = 0; i < 100000; ++i)
    acc = acc + i;
  timer.end();
  EXPECT_GE(timer.collect_ms().at(0), 0.0);
}

}  // namespace
}  // namespace deepobs
