// Helpers shared by the op families in core/ops: dtype dispatch for the CPU kernels and the device
// switch. Internal to core/ops.
#pragma once

#include "core/tensor.h"
#include "kernels/cuda/context.h"

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

// Where an op's kernels run. CUDA kernels exist for f32 only; f64 is a CPU-only dtype.
enum class Backend { kCpu, kCuda };

// The backend for `t`: kCpu for a CPU tensor, kCuda for an f32 CUDA tensor (in a CUDA build);
// throws "<op>: …" for an f64 (or other) CUDA tensor and for a CUDA tensor in a CPU-only build.
Backend backend_for(const char* op, const Tensor& t);

// The kernel context of the CUDA device `t` lives on (t must be a CUDA tensor; CUDA builds only:
// CPU-only builds never reach the CUDA branches that call it).
kernels::cuda::KernelContext& cuda_context(const Tensor& t);

}  // namespace deepobs::ops::detail
