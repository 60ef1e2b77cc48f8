#include "core/allocator.h"

#include <atomic>
#include <cstdlib>

#include "core/backend.h"
#include "kernels/cuda/memory.h"

namespace deepobs {
namespace {

constexpr std::size_t kCpuAlign = 64;
std::atomic<std::int64_t> g_current{0}, g_peak{0}, g_allocations{0};

void* cpu_allocate(std::size_t bytes) {
  void* p = std::aligned_alloc(kCpuAlign, (bytes + kCpuAlign - 1) / kCpuAlign * kCpuAlign);
  DEEPOBS_CHECK(p != nullptr, "cpu allocator: out of memory allocating ", bytes, " bytes");
  const auto b = static_cast<std::int64_t>(bytes);
  const std::int64_t now = g_current.fetch_add(b) + b;
  for (auto peak = g_peak.load(); now > peak && !g_peak.compare_exchange_weak(peak, now);) {
  }
  g_allocations.fetch_add(1);
  return p;
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
    std::free(ptr_);
    g_current.fetch_sub(static_cast<std::int64_t>(bytes_));
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
