#include "kernels/cuda/events.h"

#include <cuda_runtime.h>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"

namespace deepobs::kernels::cuda {

void* event_create(KernelContext& ctx) {
  DeviceGuard guard(ctx.device());
  cudaEvent_t e = nullptr;
  DEEPOBS_CUDA_CHECK(cudaEventCreate(&e));
  return static_cast<void*>(e);
}

void event_destroy(void* event) noexcept {
  if (event) cudaEventDestroy(static_cast<cudaEvent_t>(event));
}

void event_record(KernelContext& ctx, void* event) {
  DeviceGuard guard(ctx.device());
  DEEPOBS_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event), ctx.stream()));
}

void event_synchronize(void* event) {
  DEEPOBS_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event)));
}

double event_elapsed_ms(void* start, void* stop) {
  DEEPOBS_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(stop)));
  float ms = 0.0f;
  DEEPOBS_CUDA_CHECK(
      cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(stop)));
  return static_cast<double>(ms);
}

}  // namespace deepobs::kernels::cuda
