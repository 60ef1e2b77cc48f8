// The device switch of the neural-net op families (linear, conv, pool, resize, loss): which kernel
// set runs an op, and the CUDA context it runs on. Internal to core/ops.
#pragma once

#include "core/ops/dispatch.h"
#include "core/tensor.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/context.h"
#endif

namespace deepobs::ops::detail {

// False for a CPU tensor. True for a CUDA tensor in a CUDA build, after checking that it is f32
// (the CUDA kernels are single precision only). Throws deepobs::Error naming the op for a CUDA
// tensor of another dtype, and via no_kernel_for_device for a CUDA tensor in a CPU-only build —
// so a CUDA-only branch after `if (use_cuda(..))` is never reached without CUDA kernels.
bool use_cuda(const char* op, const Tensor& t);

#if DEEPOBS_WITH_CUDA
// The kernel context of t's device (created on first use).
inline kernels::cuda::KernelContext& cuda_context(const Tensor& t) {
  return kernels::cuda::context(t.device().index);
}
#endif

}  // namespace deepobs::ops::detail
