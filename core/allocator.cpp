#include "core/allocator.h"

#include <atomic>
#include <cstdlib>
#include <new>

#include "core/error.h"
#if DEEPOBS_WITH_CUDA
#include <map>
#include <mutex>

#include "kernels/cuda/memory.h"
#endif

namespace deepobs {
namespace {

class CpuAllocator final : public Allocator {
 public:
  void* allocate(std::size_t bytes) override {
    if (bytes == 0) return nullptr;
    constexpr std::size_t kAlign = 64;
    const std::size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, rounded);
    DEEPOBS_CHECK(p != nullptr, "cpu allocator: out of memory allocating ", bytes, " bytes");
    const auto now =
        current_.fetch_add(static_cast<std::int64_t>(bytes)) + static_cast<std::int64_t>(bytes);
    auto peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    allocations_.fetch_add(1);
    return p;
  }
  void deallocate(void* ptr, std::size_t bytes) override {
    if (!ptr) return;
    std::free(ptr);
    current_.fetch_sub(static_cast<std::int64_t>(bytes));
  }
  Device device() const override { return Device::cpu(); }
  AllocatorStats stats() const { return {current_.load(), peak_.load(), allocations_.load()}; }

 private:
  std::atomic<std::int64_t> current_{0}, peak_{0}, allocations_{0};
};

CpuAllocator& cpu_instance() {
  static CpuAllocator instance;
  return instance;
}

#if DEEPOBS_WITH_CUDA
// Device memory of one CUDA device from the backend's caching allocator (kernels/cuda/memory.h),
// which keeps the statistics.
class CudaAllocator final : public Allocator {
 public:
  explicit CudaAllocator(int index) : index_(index) {}
  void* allocate(std::size_t bytes) override {
    try {
      return kernels::cuda::device_allocate(index_, bytes);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      // CudaError is not a deepobs::Error; keep its message (size and statistics).
      throw Error(e.what());
    }
  }
  void deallocate(void* ptr, std::size_t bytes) override {
    kernels::cuda::device_deallocate(index_, ptr, bytes);
  }
  Device device() const override { return Device::cuda(index_); }

 private:
  int index_;
};

Allocator& cuda_allocator(int index) {
  // Never destroyed: storages may be released during static destruction.
  static std::mutex mutex;
  static auto* allocators = new std::map<int, CudaAllocator*>();
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = (*allocators)[index];
  if (!slot) slot = new CudaAllocator(index);
  return *slot;
}
#endif

}  // namespace

Allocator& cpu_allocator() {
  return cpu_instance();
}
AllocatorStats cpu_allocator_stats() {
  return cpu_instance().stats();
}

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) return cpu_allocator();
  DEEPOBS_CHECK(Device::cuda_built(), "device ", device.str(),
                ": this deepobs build has no CUDA backend (configure with -DDEEPOBS_CUDA=ON)");
  DEEPOBS_CHECK(Device::cuda_available(), "device ", device.str(),
                ": no usable CUDA device on this machine (use --device cpu)");
  DEEPOBS_CHECK(device.index >= 0 && device.index < Device::cuda_device_count(), "device ",
                device.str(), ": this machine has ", Device::cuda_device_count(),
                " CUDA device(s) (use cuda:0 … cuda:", Device::cuda_device_count() - 1, ")");
#if DEEPOBS_WITH_CUDA
  return cuda_allocator(device.index);
#else
  throw Error(cat("device ", device.str(), ": this deepobs build has no CUDA backend"));
#endif
}

}  // namespace deepobs
