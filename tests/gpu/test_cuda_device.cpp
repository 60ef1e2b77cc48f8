// Device discovery and a first kernel launch. Skips cleanly where no GPU is usable.
#include <gtest/gtest.h>

#include <vector>

#include "core/build_info.h"
#include "core/device.h"
#include "twin.h"
#if DEEPOBS_WITH_CUDA
#include <cuda_runtime.h>

#include "kernels/cuda/fill.h"
#endif

namespace deepobs {
namespace {

TEST(CudaDevice, PropertiesOfTheFirstDevice) {
  SKIP_WITHOUT_GPU();
  const BuildInfo info = build_info();
  ASSERT_FALSE(info.gpus.empty());
  EXPECT_GT(info.gpus[0].memory_gib, 0.0);
  EXPECT_GE(info.gpus[0].compute_major, 7);
  EXPECT_GT(info.cuda_runtime, 0);
  EXPECT_GT(info.cudnn, 0u);
}

TEST(CudaDevice, FillKernelWritesEveryElement) {
  SKIP_WITHOUT_GPU();
#if DEEPOBS_WITH_CUDA
  constexpr int n = 100003;  // not a multiple of the block size
  float* d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, n * sizeof(float)), cudaSuccess);
  kernels::cuda::fill_f32(d, n, 2.5f, nullptr);
  std::vector<float> h(n, 0.0f);
  ASSERT_EQ(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  cudaFree(d);
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(h[i], 2.5f) << "element " << i;
#endif
}

}  // namespace
}  // namespace deepobs
