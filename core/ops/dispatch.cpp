#include "core/ops/dispatch.h"

namespace deepobs::ops::detail {

void no_kernel_for_device(const char* op, const Tensor& t) {
  throw Error(cat(op, ": no kernel for ", t.str(),
                  " in this build (this op has no CUDA kernel yet; use --device cpu)"));
}

Backend backend_for(const char* op, const Tensor& t) {
  if (t.device().is_cpu()) return Backend::kCpu;
#if DEEPOBS_WITH_CUDA
  DEEPOBS_CHECK(t.dtype() == DType::F32, op, ": the CUDA kernels are f32 only, got ", t.str(),
                " (f64 runs on the CPU: use --device cpu or convert with .to(DType::F32))");
  return Backend::kCuda;
#else
  throw Error(cat(op, ": no kernel for ", t.str(),
                  ": this deepobs build has no CUDA backend (configure with -DDEEPOBS_CUDA=ON)"));
#endif
}

kernels::cuda::KernelContext& cuda_context(const Tensor& t) {
#if DEEPOBS_WITH_CUDA
  DEEPOBS_CHECK(t.device().is_cuda(), "cuda_context: ", t.str(), " is not a CUDA tensor");
  return kernels::cuda::context(t.device().index);
#else
  throw Error(cat("cuda_context: ", t.str(),
                  ": this deepobs build has no CUDA backend (configure with -DDEEPOBS_CUDA=ON)"));
#endif
}

}  // namespace deepobs::ops::detail
