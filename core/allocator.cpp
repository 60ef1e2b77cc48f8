#include "core/allocator.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>

#include "core/backend.h"
#include "kernels/cuda/memory.h"

namespace deepobs {
namespace {

constexpr std::size_t kCpuAlign = 64;
std::atomic<std::int64_t> g_current{0}, g_peak{0}, g_allocations{0};

// Blocks of 1 MiB and more are kept when freed, by size, and handed out again: a training step
// frees and allocates the same large blocks (activations, gradients) every step, and glibc would
// give each back to the kernel (munmap or a heap trim) and fault its pages in again in the next
// step (2 M page faults and 4 s of system time in an fmnist_2c2d epoch once activations are freed
// during backward). At most 1 GiB is kept; the statistics count handed-out bytes only. Never
// destroyed: storages may be freed during static destruction.
// Under AddressSanitizer nothing is kept, so that a use after free stays visible to it.
#ifdef __SANITIZE_ADDRESS__
constexpr std::size_t kCacheMax = 0;
#else
constexpr std::size_t kCacheMax = std::size_t{1} << 30;
#endif
constexpr std::size_t kCacheFrom = std::size_t{1} << 20;
struct BlockCache {
  std::mutex mutex;
  std::multimap<std::size_t, void*> free;  // rounded size → block
  std::size_t bytes = 0;
};
BlockCache& cache() {
  static auto* c = new BlockCache();
  return *c;
}

std::size_t rounded(std::size_t bytes) {
  const std::size_t unit = bytes >= kCacheFrom ? 4096 : kCpuAlign;
  return (bytes + unit - 1) / unit * unit;
}

void* cpu_allocate(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  void* p = nullptr;
  if (size >= kCacheFrom) {
    std::lock_guard<std::mutex> lock(cache().mutex);
    if (auto it = cache().free.find(size); it != cache().free.end()) {
      p = it->second;
      cache().free.erase(it);
      cache().bytes -= size;
    }
  }
  if (!p) p = std::aligned_alloc(kCpuAlign, size);
  DEEPOBS_CHECK(p != nullptr, "cpu allocator: out of memory allocating ", bytes, " bytes");
  const auto b = static_cast<std::int64_t>(bytes);
  const std::int64_t now = g_current.fetch_add(b) + b;
  for (auto peak = g_peak.load(); now > peak && !g_peak.compare_exchange_weak(peak, now);) {
  }
  g_allocations.fetch_add(1);
  return p;
}

void cpu_free(void* p, std::size_t bytes) {
  g_current.fetch_sub(static_cast<std::int64_t>(bytes));
  const std::size_t size = rounded(bytes);
  if (size >= kCacheFrom) {
    std::lock_guard<std::mutex> lock(cache().mutex);
    if (cache().bytes + size <= kCacheMax) {
      cache().free.emplace(size, p);
      cache().bytes += size;
      return;
    }
  }
  std::free(p);
}

}  // namespace

Storage::Storage(std::size_t bytes, Device device) : bytes_(bytes), device_(device), owned_(true) {
  backend::check_device(device);
  if (bytes == 0) return;
  if (device.is_cpu()) {
    ptr_ = cpu_allocate(bytes);
  } else if constexpr (backend::kCuda) {
    try {
      ptr_ = kernels::cuda::device_allocate(device.index, bytes);
    } catch (const std::exception& e) {
      throw Error(e.what());  // CudaError (size and statistics) as the engine's error type
    }
  }
}

std::shared_ptr<Storage> Storage::wrap(void* ptr, std::size_t bytes, Device device) {
  std::shared_ptr<Storage> s(new Storage());
  s->ptr_ = ptr;
  s->bytes_ = bytes;
  s->device_ = device;
  return s;
}

Storage::~Storage() {
  if (!owned_ || !ptr_) return;
  if (device_.is_cpu()) {
    cpu_free(ptr_, bytes_);
  } else if constexpr (backend::kCuda) {
    kernels::cuda::device_deallocate(device_.index, ptr_, bytes_);
  }
}

AllocatorStats cpu_allocator_stats() {
  return {g_current.load(), g_peak.load(), g_allocations.load()};
}

void reset_cpu_peak() {
  g_peak.store(g_current.load());
}

}  // namespace deepobs
