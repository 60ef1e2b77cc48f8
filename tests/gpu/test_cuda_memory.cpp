// The caching device allocator: steady state without cudaMalloc, statistics, and the pinned-host
// and stream-ordered copies of kernels/cuda/memory.h.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/cuda_backend.h"
#include "core/tensor.h"
#include "twin.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/memory.h"
#endif

namespace deepobs {
namespace {

const Device kGpu = Device::cuda(0);

TEST(CudaMemory, SteadyStateLoopDoesNotCallCudaMalloc) {
  SKIP_WITHOUT_GPU();
  // A "training step" that allocates and frees the same sizes every time.
  const auto step = [] {
    const Tensor a = Tensor::empty({128, 784}, DType::F32, kGpu);
    const Tensor b = Tensor::zeros({128, 10}, DType::F32, kGpu);
    const Tensor c = Tensor::empty({3, 1000, 1000}, DType::F32, kGpu);  // 12 MB: power-of-2 class
    const Tensor d = Tensor::empty({77}, DType::I64, kGpu);
    (void)a;
    (void)b;
    (void)c;
    (void)d;
  };
  step();
  const auto warm = cuda_backend::memory_stats(kGpu);
  for (int i = 0; i < 50; ++i)
    step();
  const auto after = cuda_backend::memory_stats(kGpu);
  EXPECT_EQ(after.cuda_malloc_calls, warm.cuda_malloc_calls);
  EXPECT_EQ(after.reserved_bytes, warm.reserved_bytes);
  EXPECT_EQ(after.current_bytes, warm.current_bytes);
}

TEST(CudaMemory, CurrentAndPeakBytes) {
  SKIP_WITHOUT_GPU();
  const auto before = cuda_backend::memory_stats(kGpu);
  std::int64_t peak_during = 0;
  {
    // 64 MiB + 1 byte: a large size class (multiple of 2 MiB), so 66 MiB are counted.
    const Tensor big = Tensor::empty({(std::int64_t{64} << 20) + 1}, DType::U8, kGpu);
    const auto during = cuda_backend::memory_stats(kGpu);
    EXPECT_EQ(during.current_bytes - before.current_bytes, std::int64_t{66} << 20);
    EXPECT_GE(during.reserved_bytes, during.current_bytes);
    peak_during = during.peak_bytes;
    EXPECT_GE(peak_during, during.current_bytes);
  }
  const auto after = cuda_backend::memory_stats(kGpu);
  EXPECT_EQ(after.current_bytes, before.current_bytes);
  EXPECT_EQ(after.peak_bytes, peak_during);  // the peak remembers the big block
}

TEST(CudaMemory, SizeClassesRoundUp) {
  SKIP_WITHOUT_GPU();
  const auto before = cuda_backend::memory_stats(kGpu);
  {
    const Tensor t = Tensor::empty({1}, DType::F32, kGpu);  // 4 bytes → 512
    EXPECT_EQ(cuda_backend::memory_stats(kGpu).current_bytes - before.current_bytes, 512);
  }
  {
    const Tensor t = Tensor::empty({(1 << 20) + 4}, DType::U8, kGpu);  // 1 MiB + 4 → 2 MiB
    EXPECT_EQ(cuda_backend::memory_stats(kGpu).current_bytes - before.current_bytes,
              std::int64_t{2} << 20);
  }
}

#if DEEPOBS_WITH_CUDA
TEST(CudaMemory, EmptyCacheReturnsFreeBlocks) {
  SKIP_WITHOUT_GPU();
  { const Tensor t = Tensor::empty({5 << 20}, DType::F32, kGpu); }
  const auto cached = kernels::cuda::device_memory_stats(0);
  EXPECT_GT(cached.reserved_bytes, cached.current_bytes);
  kernels::cuda::device_empty_cache(0);
  const auto emptied = kernels::cuda::device_memory_stats(0);
  EXPECT_EQ(emptied.reserved_bytes, emptied.current_bytes);
  EXPECT_GT(emptied.cuda_free_calls, cached.cuda_free_calls);
}

TEST(CudaMemory, PinnedAsyncCopiesRoundTrip) {
  SKIP_WITHOUT_GPU();
  constexpr std::size_t n = 100003;
  auto* host = static_cast<float*>(kernels::cuda::host_pinned_allocate(n * sizeof(float)));
  ASSERT_NE(host, nullptr);
  for (std::size_t i = 0; i < n; ++i)
    host[i] = static_cast<float>(i) * 0.5f + 1.0f;
  void* dev = kernels::cuda::device_allocate(0, n * sizeof(float));
  kernels::cuda::copy_host_to_device_async(0, dev, host, n * sizeof(float));
  std::vector<float> back(n, 0.0f);
  // The synchronous copy is queued behind the async one on the same stream.
  kernels::cuda::copy_device_to_host(0, back.data(), dev, n * sizeof(float));
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_EQ(back[i], host[i]) << i;
  kernels::cuda::memset_zero(0, dev, n * sizeof(float));
  kernels::cuda::copy_device_to_host_async(0, host, dev, n * sizeof(float));
  cuda_backend::synchronize(kGpu);
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_EQ(host[i], 0.0f) << i;
  kernels::cuda::device_deallocate(0, dev, n * sizeof(float));
  kernels::cuda::host_pinned_deallocate(host);
}
#endif

}  // namespace
}  // namespace deepobs
