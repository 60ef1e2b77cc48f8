#include "core/ops/nn_device.h"

namespace deepobs::ops::detail {

bool use_cuda(const char* op, const Tensor& t) {
  switch (t.device().type) {
    case DeviceType::CPU:
      return false;
    case DeviceType::CUDA:
#if DEEPOBS_WITH_CUDA
      DEEPOBS_CHECK(t.dtype() == DType::F32, op, ": the CUDA kernels are f32 only, got ", t.str(),
                    " (use f32, or run f64 on the cpu device)");
      return true;
#else
      no_kernel_for_device(op, t);
#endif
  }
  no_kernel_for_device(op, t);
}

}  // namespace deepobs::ops::detail
