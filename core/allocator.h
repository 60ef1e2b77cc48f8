// Memory allocators. A Storage remembers the allocator that made its block and returns it there.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/device.h"

namespace deepobs {

class Allocator {
 public:
  virtual ~Allocator() = default;
  // Returns a block of at least `bytes` bytes (nullptr for 0 bytes); throws deepobs::Error when
  // the memory cannot be had.
  virtual void* allocate(std::size_t bytes) = 0;
  // Returns a block obtained from allocate() with the same size.
  virtual void deallocate(void* ptr, std::size_t bytes) = 0;
  virtual Device device() const = 0;
};

// Counts what an allocator has handed out; current and peak in bytes.
struct AllocatorStats {
  std::int64_t current_bytes = 0;
  std::int64_t peak_bytes = 0;
  std::int64_t allocations = 0;
};

// The process-wide CPU allocator: 64-byte aligned blocks (one cache line, full AVX-512 vectors).
Allocator& cpu_allocator();
AllocatorStats cpu_allocator_stats();

// The allocator for a device; throws deepobs::Error for a device this build or machine lacks.
Allocator& allocator_for(Device device);

}  // namespace deepobs
