// Host↔device copies and pinned host memory of kernels/cuda/memory.h. Every copy is queued on the
// device's context stream; the forms that involve pageable host memory wait for that stream.
#include <cuda_runtime.h>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/memory.h"

namespace deepobs::kernels::cuda {
namespace {

void copy_on_stream(int device, void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                    bool wait) {
  if (bytes == 0) return;
  KernelContext& ctx = context(device);
  DeviceGuard guard(device);
  DEEPOBS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, ctx.stream()));
  if (wait) DEEPOBS_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
}

}  // namespace

void copy_host_to_device(int device, void* dst, const void* src, std::size_t bytes) {
  // Waiting makes the host buffer reusable on return (the copy from pageable memory is staged by
  // the driver and may otherwise still be in flight).
  copy_on_stream(device, dst, src, bytes, cudaMemcpyHostToDevice, true);
}

void copy_device_to_host(int device, void* dst, const void* src, std::size_t bytes) {
  copy_on_stream(device, dst, src, bytes, cudaMemcpyDeviceToHost, true);
}

void copy_device_to_device(int device, void* dst, const void* src, std::size_t bytes) {
  copy_on_stream(device, dst, src, bytes, cudaMemcpyDeviceToDevice, false);
}

void copy_host_to_device_async(int device, void* dst, const void* pinned_src, std::size_t bytes) {
  copy_on_stream(device, dst, pinned_src, bytes, cudaMemcpyHostToDevice, false);
}

void copy_device_to_host_async(int device, void* pinned_dst, const void* src, std::size_t bytes) {
  copy_on_stream(device, pinned_dst, src, bytes, cudaMemcpyDeviceToHost, false);
}

void copy_between_devices(int dst_device, void* dst, int src_device, const void* src,
                          std::size_t bytes) {
  if (bytes == 0) return;
  if (dst_device == src_device) {
    copy_device_to_device(dst_device, dst, src, bytes);
    return;
  }
  // The source's pending writes must land before the copy reads them, and the copy must finish
  // before either side's stream reuses the memory: synchronise on both sides (this path is for
  // moving tensors between devices, never inside a training step).
  synchronize(context(src_device));
  KernelContext& ctx = context(dst_device);
  DeviceGuard guard(dst_device);
  DEEPOBS_CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_device, src, src_device, bytes, ctx.stream()));
  DEEPOBS_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
}

void memset_zero(int device, void* dst, std::size_t bytes) {
  if (bytes == 0) return;
  KernelContext& ctx = context(device);
  DeviceGuard guard(device);
  DEEPOBS_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, ctx.stream()));
}

void* host_pinned_allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  DEEPOBS_CUDA_CHECK(cudaMallocHost(&p, bytes));
  return p;
}

void host_pinned_deallocate(void* ptr) {
  if (ptr) DEEPOBS_CUDA_CHECK(cudaFreeHost(ptr));
}

}  // namespace deepobs::kernels::cuda
