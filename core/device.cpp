#include "core/device.h"

#include "core/backend.h"
#include "kernels/cuda/device_query.h"

namespace deepobs {

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

bool Device::cuda_built() {
  return backend::kCuda;
}

int Device::cuda_device_count() {
  if constexpr (backend::kCuda) {
    // Asked once: the answer cannot change during a run and the first call initialises the driver.
    static const int count = kernels::cuda::device_count_noexcept();
    return count;
  } else {
    return 0;
  }
}

bool Device::cuda_available() {
  return cuda_device_count() > 0;
}

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5) {
    const std::string digits = text.substr(5);
    bool ok = digits.size() <= 4;
    for (char c : digits)
      ok = ok && c >= '0' && c <= '9';
    if (ok) return cuda(std::stoi(digits));
  }
  throw Error(cat("unknown device '", text, "' (expected cpu, cuda or cuda:N)"));
}

}  // namespace deepobs
