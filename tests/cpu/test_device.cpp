#include <gtest/gtest.h>

#include "core/allocator.h"
#include "core/build_info.h"
#include "core/device.h"
#include "core/tensor.h"

namespace deepobs {
namespace {

TEST(Device, AvailabilityQueriesNeverThrow) {
  // On a machine without a driver cudaGetDeviceCount fails: that must read as "no GPU".
  EXPECT_NO_THROW(Device::cuda_available());
  EXPECT_GE(Device::cuda_device_count(), 0);
  if (!Device::cuda_built()) {
    EXPECT_FALSE(Device::cuda_available());
  }
  const BuildInfo info = build_info();
  EXPECT_EQ(info.cuda_built, Device::cuda_built());
  EXPECT_EQ(static_cast<int>(info.gpus.size()), Device::cuda_device_count());
  EXPECT_GE(info.cpu_threads, 1);
}

TEST(Device, ParseAndPrint) {
  EXPECT_EQ(Device::parse("cpu"), Device::cpu());
  EXPECT_EQ(Device::parse("cuda"), Device::cuda(0));
  EXPECT_EQ(Device::parse("cuda:3"), Device::cuda(3));
  EXPECT_EQ(Device::cuda(1).str(), "cuda:1");
  EXPECT_THROW(Device::parse("gpu"), Error);
  EXPECT_THROW(Device::parse("cuda:"), Error);
  EXPECT_THROW(Device::parse("cuda:x"), Error);
}

TEST(Device, CudaTensorWithoutGpuIsAClearError) {
  if (Device::cuda_available()) GTEST_SKIP() << "a GPU is present";
  try {
    Tensor::zeros({2}, DType::F32, Device::cuda(0));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cuda:0"), std::string::npos) << e.what();
  }
}

TEST(Allocator, CpuBlocksAreAlignedAndCounted) {
  const auto before = cpu_allocator_stats();
  {
    Tensor t = Tensor::empty({1000});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw_data()) % 64, 0u);
    EXPECT_GE(cpu_allocator_stats().current_bytes, before.current_bytes + 4000);
  }
  EXPECT_EQ(cpu_allocator_stats().current_bytes, before.current_bytes);
  EXPECT_GE(cpu_allocator_stats().peak_bytes, before.current_bytes + 4000);
}

}  // namespace
}  // namespace deepobs
