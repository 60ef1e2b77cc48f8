#include "core/backend.h"

#include <cstring>

#include "core/capture_safety.h"
#include "kernels/cuda/memory.h"

namespace deepobs::backend {

void unsupported(const char* op, const Tensor& t, const char* why) {
  throw Error(cat(op, ": no kernel for ", t.str(), ": ", why));
}

void check_device(Device device) {
  if (device.is_cpu()) return;
  const int n = Device::cuda_device_count();
  DEEPOBS_CHECK(kCuda, "device ", device.str(),
                ": this deepobs build has no CUDA backend (configure with -DDEEPOBS_CUDA=ON)");
  DEEPOBS_CHECK(n > 0, "device ", device.str(),
                ": no usable CUDA device on this machine (use --device cpu)");
  DEEPOBS_CHECK(device.index >= 0 && device.index < n, "device ", device.str(),
                ": this machine has ", n, " CUDA device(s) (use cuda:0 … cuda:", n - 1, ")");
}

kernels::cuda::KernelContext& context(Device device) {
  check_device(device);
  DEEPOBS_CHECK(device.is_cuda(), "backend: ", device.str(), " has no kernel context");
  if constexpr (kCuda) return kernels::cuda::context(device.index);
  throw Error("backend: no CUDA backend in this build");
}

void copy_bytes(Device dst_device, void* dst, Device src_device, const void* src,
                std::size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    if (dst != src) std::memmove(dst, src, bytes);
    return;
  }
  check_device(dst_device);
  check_device(src_device);
  if (dst_device.is_cpu() || src_device.is_cpu())
    refuse_capture(dst_device.is_cpu() ? "a device-to-host copy (a read-back such as item())"
                                       : "a host-to-device copy",
                   "it synchronises the stream, and a recorded copy would replay the host bytes "
                   "of the capture");
  if constexpr (kCuda) {
    if (src_device.is_cpu()) {
      kernels::cuda::copy_host_to_device(dst_device.index, dst, src, bytes);
    } else if (dst_device.is_cpu()) {
      kernels::cuda::copy_device_to_host(src_device.index, dst, src, bytes);
    } else if (dst != src || dst_device != src_device) {
      kernels::cuda::copy_between_devices(dst_device.index, dst, src_device.index, src, bytes);
    }
  }
}

}  // namespace deepobs::backend
