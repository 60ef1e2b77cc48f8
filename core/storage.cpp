#include "core/storage.h"

namespace deepobs {

Storage::Storage(std::size_t bytes, Device device)
    : bytes_(bytes), device_(device), allocator_(&allocator_for(device)) {
  ptr_ = allocator_->allocate(bytes);
}

std::shared_ptr<Storage> Storage::wrap(void* ptr, std::size_t bytes, Device device) {
  std::shared_ptr<Storage> s(new Storage());
  s->ptr_ = ptr;
  s->bytes_ = bytes;
  s->device_ = device;
  return s;
}

Storage::~Storage() {
  if (allocator_) allocator_->deallocate(ptr_, bytes_);
}

}  // namespace deepobs
