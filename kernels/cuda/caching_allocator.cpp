// The caching device allocator of kernels/cuda/memory.h.
//
// Size classes (a request is rounded up to its class; every block of a class has the class size):
//   ≤ 1 MiB      multiples of 512 bytes   (at most 511 bytes wasted, 2048 classes)
//   ≤ 64 MiB     powers of two            (at most half wasted, few large buffers live here)
//   > 64 MiB     multiples of 2 MiB       (a 200 MiB dataset buffer wastes under 1%)
// Freed blocks go to the free list of their class and are handed out again before cudaMalloc is
// asked; nothing is returned to the driver unless an allocation fails or device_empty_cache is
// called. All work on a device runs on its one context stream, so a block freed after queuing a
// kernel that reads it can be handed to the next request at once: the next user's work is queued
// behind that kernel on the same stream.
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/memory.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr std::size_t kSmallStep = 512;
constexpr std::size_t kSmallLimit = std::size_t{1} << 20;
constexpr std::size_t kPow2Limit = std::size_t{64} << 20;
constexpr std::size_t kLargeStep = std::size_t{2} << 20;

std::size_t size_class(std::size_t bytes) {
  if (bytes <= kSmallLimit) return (bytes + kSmallStep - 1) / kSmallStep * kSmallStep;
  if (bytes <= kPow2Limit) {
    std::size_t c = kSmallLimit;
    while (c < bytes)
      c <<= 1;
    return c;
  }
  return (bytes + kLargeStep - 1) / kLargeStep * kLargeStep;
}

std::string mib(std::int64_t bytes) {
  return std::to_string(bytes / (1 << 20)) + " MiB";
}

class DeviceCache {
 public:
  explicit DeviceCache(int device) : device_(device) {}

  void* allocate(std::size_t bytes) {
    if (bytes == 0) return nullptr;
    const std::size_t cls = size_class(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    void* p = open_pool_ != 0 ? take(pools_[open_pool_], cls) : nullptr;
    if (!p) p = take(free_, cls);
    if (!p) p = malloc_with_retry(cls, bytes);
    if (open_pool_ != 0) owner_[p] = open_pool_;
    stats_.current_bytes += static_cast<std::int64_t>(cls);
    if (stats_.current_bytes > stats_.peak_bytes) stats_.peak_bytes = stats_.current_bytes;
    ++stats_.allocations;
    return p;
  }

  void deallocate(void* ptr, std::size_t bytes) {
    if (!ptr) return;
    const std::size_t cls = size_class(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    // The owner lookup only while a pool exists: a run without CUDA graphs pays nothing.
    const auto owned = owner_.empty() ? owner_.end() : owner_.find(ptr);
    if (owned != owner_.end())
      pools_[owned->second][cls].push_back(ptr);
    else
      free_[cls].push_back(ptr);
    stats_.current_bytes -= static_cast<std::int64_t>(cls);
  }

  int begin_pool() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (open_pool_ != 0)
      throw CudaError("CUDA device " + std::to_string(device_) +
                      ": a private memory pool is already open (one capture at a time)");
    open_pool_ = next_pool_++;
    pools_[open_pool_];
    return open_pool_;
  }

  void end_pool() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_pool_ = 0;
  }

  void release_pool(int pool) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = pools_.find(pool);
    if (it == pools_.end())
      throw CudaError("CUDA device " + std::to_string(device_) + ": no private memory pool " +
                      std::to_string(pool));
    for (auto& [cls, blocks] : it->second)
      free_[cls].insert(free_[cls].end(), blocks.begin(), blocks.end());
    pools_.erase(it);
    if (open_pool_ == pool) open_pool_ = 0;
    for (auto o = owner_.begin(); o != owner_.end();)
      o = o->second == pool ? owner_.erase(o) : std::next(o);
  }

  std::int64_t pool_blocks(int pool) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::int64_t n = 0;
    for (const auto& [ptr, owner] : owner_)
      n += owner == pool ? 1 : 0;
    return n;
  }

  DeviceMemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_free_blocks();
  }

 private:
  // Caller holds mutex_.
  void* malloc_with_retry(std::size_t cls, std::size_t requested) {
    DeviceGuard guard(device_);
    void* p = nullptr;
    cudaError_t st = cudaMalloc(&p, cls);
    if (st == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // reset the error so later checks do not see it
      // Cached blocks of other classes may be in use by queued work: wait for the stream before
      // handing their memory back to the driver.
      DEEPOBS_CUDA_CHECK(cudaStreamSynchronize(context(device_).stream()));
      release_free_blocks();
      st = cudaMalloc(&p, cls);
      if (st == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        throw CudaError("CUDA device " + std::to_string(device_) + ": out of memory allocating " +
                        std::to_string(requested) + " bytes (size class " + std::to_string(cls) +
                        "; in use " + mib(stats_.current_bytes) + ", peak " +
                        mib(stats_.peak_bytes) + ", reserved " + mib(stats_.reserved_bytes) +
                        "); use a smaller batch size or model");
      }
    }
    DEEPOBS_CUDA_CHECK(st);
    ++stats_.cuda_malloc_calls;
    stats_.reserved_bytes += static_cast<std::int64_t>(cls);
    return p;
  }

  // Caller holds mutex_.
  void release_free_blocks() {
    DeviceGuard guard(device_);
    for (auto& [cls, blocks] : free_) {
      for (void* p : blocks) {
        DEEPOBS_CUDA_CHECK(cudaFree(p));
        ++stats_.cuda_free_calls;
        stats_.reserved_bytes -= static_cast<std::int64_t>(cls);
      }
      blocks.clear();
    }
  }

  using FreeLists = std::map<std::size_t, std::vector<void*>>;

  // A free block of class `cls` from `lists`, or nullptr. Caller holds mutex_.
  static void* take(FreeLists& lists, std::size_t cls) {
    const auto it = lists.find(cls);
    if (it == lists.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    return p;
  }

  int device_;
  std::mutex mutex_;
  FreeLists free_;
  DeviceMemoryStats stats_{};
  // Private pools (memory.h): their free lists, the pool of every block one owns, the open one.
  std::map<int, FreeLists> pools_;
  std::unordered_map<void*, int> owner_;
  int open_pool_ = 0;
  int next_pool_ = 1;
};

// One cache per device, created on first use and never destroyed (cudaFree during static
// destruction races with the runtime's teardown; the driver reclaims everything at exit).
DeviceCache& cache(int device) {
  static std::mutex mutex;
  static auto* caches = new std::map<int, DeviceCache*>();
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = (*caches)[device];
  if (!slot) slot = new DeviceCache(device);
  return *slot;
}

}  // namespace

void* device_allocate(int device, std::size_t bytes) {
  return cache(device).allocate(bytes);
}

void device_deallocate(int device, void* ptr, std::size_t bytes) {
  cache(device).deallocate(ptr, bytes);
}

DeviceMemoryStats device_memory_stats(int device) {
  return cache(device).stats();
}

int device_begin_private_pool(int device) {
  return cache(device).begin_pool();
}

void device_end_private_pool(int device) {
  cache(device).end_pool();
}

void device_release_private_pool(int device, int pool) {
  cache(device).release_pool(pool);
}

std::int64_t device_private_pool_blocks(int device, int pool) {
  return cache(device).pool_blocks(pool);
}

void device_empty_cache(int device) {
  // Queued work may still use blocks that were freed to the cache.
  synchronize(context(device));
  cache(device).empty_cache();
}

}  // namespace deepobs::kernels::cuda
