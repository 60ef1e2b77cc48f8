// The full KernelContext (kernels/cuda/context.h) for CUDA code: stream, library handles,
// workspace and policies of one device. Internal to kernels/cuda (includes CUDA headers).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cuda/context.h"

namespace deepobs::kernels::cuda {

// Makes `device` current for the calling thread for the guard's lifetime, then restores the
// previous device. Every entry point of the backend that may run on a device other than the
// current one holds a guard.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

// The device that owns device memory `p` (cudaPointerGetAttributes), for the entry points that
// receive a stream and pointers but no context (the optimizer kernels, fill_f32): they guard with
// DeviceGuard(device_of(p)).
int device_of(const void* p);

class KernelContext {
 public:
  // Creates the stream (cudaStreamNonBlocking) on `device`; the library handles are created on
  // first use. Throws CudaError on failure.
  explicit KernelContext(int device);
  ~KernelContext();
  KernelContext(const KernelContext&) = delete;
  KernelContext& operator=(const KernelContext&) = delete;

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  // The cuBLAS handle, bound to stream(); its math mode follows policies().tf32
  // (CUBLAS_TF32_TENSOR_OP_MATH or CUBLAS_DEFAULT_MATH with pedantic FP32) and its workspace is
  // set (cublasSetWorkspace) so no call allocates.
  cublasHandle_t cublas();
  // The cuDNN handle, bound to stream().
  cudnnHandle_t cudnn();
  const Policies& policies() const { return policies_; }
  void set_policies(const Policies& p);
  // Device scratch memory of at least `bytes` bytes for one library call on stream(). Valid until
  // the next workspace() call on this context; grows (never shrinks), so the steady state does not
  // allocate. Stream ordering makes reuse across calls safe.
  void* workspace(std::size_t bytes);
  // From now on a growing workspace keeps its old block allocated for the context's life instead
  // of freeing it: a recorded CUDA graph (graph_capture.h) holds its address. Growth inside a
  // capture throws CudaError (it would synchronise).
  void retain_workspace() { retain_workspace_ = true; }

 private:
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  Policies policies_{};
  void* workspace_ = nullptr;
  std::size_t workspace_bytes_ = 0;
  bool retain_workspace_ = false;
  std::vector<void*> retired_workspaces_;  // kept for graphs that were recorded with them
  void* cublas_workspace_ = nullptr;
};

// Grid size for a grid-stride loop over n elements with `threads` threads per block: enough
// blocks to cover n, capped so that the grid stays a few waves of the device.
inline unsigned grid_for(std::int64_t n, int threads) {
  const std::int64_t blocks = (n + threads - 1) / threads;
  constexpr std::int64_t kMaxBlocks = 65535;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks < kMaxBlocks ? blocks : kMaxBlocks));
}

}  // namespace deepobs::kernels::cuda
