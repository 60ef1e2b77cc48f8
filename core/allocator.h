// Memory: a Storage is one block on one device, shared (through std::shared_ptr) by every tensor
// view into it. CPU blocks are 64-byte aligned (a cache line, a full AVX-512 vector) and counted;
// CUDA blocks come from the backend's caching allocator (kernels/cuda/memory.h), which keeps its
// own statistics (cuda_backend::memory_stats).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/device.h"

namespace deepobs {

class Storage {
 public:
  // Allocates `bytes` bytes (uninitialised) on `device`; throws deepobs::Error naming the device
  // when this build or machine has no such device, or when the memory cannot be had.
  Storage(std::size_t bytes, Device device);
  // Wraps memory the caller owns and keeps alive for the Storage's lifetime; never freed here.
  static std::shared_ptr<Storage> wrap(void* ptr, std::size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return ptr_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Storage() = default;
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
  Device device_{};
  bool owned_ = false;
};

// What the CPU allocator has handed out, in bytes: now, at most since the start (or since the
// last reset_cpu_peak), and the number of blocks.
struct AllocatorStats {
  std::int64_t current_bytes = 0;
  std::int64_t peak_bytes = 0;
  std::int64_t allocations = 0;
};
AllocatorStats cpu_allocator_stats();
// Lowers the CPU peak to the current bytes, so that the peak of one region can be measured.
void reset_cpu_peak();

}  // namespace deepobs
