// A block of memory on one device, shared by every tensor view into it (ref-counted through
// std::shared_ptr<Storage>). The Storage owns the block unless it wraps external memory.
#pragma once

#include <cstddef>
#include <memory>

#include "core/allocator.h"
#include "core/device.h"

namespace deepobs {

class Storage {
 public:
  // Allocates `bytes` bytes (uninitialised) from the device's allocator.
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
  Allocator* allocator_ = nullptr;  // null for wrapped external memory
};

}  // namespace deepobs
