// Helpers shared by the op families in core/ops: dtype dispatch for the CPU kernels and the device
// switch. Internal to core/ops.
#pragma once

#include "core/tensor.h"

namespace deepobs::ops::detail {

// Calls f(T{}) with T = float or double according to t's dtype; throws for other dtypes.
template <class F>
decltype(auto) dispatch_floating(const char* op, const Tensor& t, F&& f) {
  switch (t.dtype()) {
    case DType::F32:
      return f(float{});
    case DType::F64:
      return f(double{});
    default:
      throw Error(cat(op, ": needs an f32 or f64 tensor, got ", t.str()));
  }
}

// Throws the one message every op gives for a device without kernels in this build.
[[noreturn]] void no_kernel_for_device(const char* op, const Tensor& t);

// Checks that `t` lives on the CPU (the only device with kernels until the CUDA backend lands),
// otherwise throws via no_kernel_for_device.
inline void require_kernel_device(const char* op, const Tensor& t) {
  if (!t.device().is_cpu()) no_kernel_for_device(op, t);
}

}  // namespace deepobs::ops::detail
