#include "kernels/cuda/context.h"

#include <memory>
#include <mutex>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/memory.h"

namespace deepobs::kernels::cuda {
namespace {

// cuBLAS's own recommendation for Hopper is a 32 MiB workspace (4 MiB elsewhere); one fixed size
// keeps its math independent of what else ran before.
constexpr std::size_t kCublasWorkspaceBytes = std::size_t{32} << 20;

void apply_cublas_math_mode(cublasHandle_t handle, const Policies& p) {
  // Strict FP32 unless TF32 is asked for: no tensor-op down-conversion and no reduced-precision
  // reductions inside GEMM.
  const cublasMath_t mode =
      p.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
             : static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH |
                                         CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
  DEEPOBS_CUBLAS_CHECK(cublasSetMathMode(handle, mode));
}

}  // namespace

DeviceGuard::DeviceGuard(int device) {
  DEEPOBS_CUDA_CHECK(cudaGetDevice(&previous_));
  if (previous_ != device) DEEPOBS_CUDA_CHECK(cudaSetDevice(device));
}

DeviceGuard::~DeviceGuard() {
  // A destructor must not throw; restoring the previous device can only fail if the runtime is
  // already broken, which the next checked call reports.
  int current = -1;
  if (cudaGetDevice(&current) == cudaSuccess && current != previous_) cudaSetDevice(previous_);
}

int device_of(const void* p) {
  cudaPointerAttributes attributes{};
  DEEPOBS_CUDA_CHECK(cudaPointerGetAttributes(&attributes, p));
  return attributes.device;
}

KernelContext::KernelContext(int device) : device_(device) {
  DeviceGuard guard(device);
  DEEPOBS_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

KernelContext::~KernelContext() {
  // Contexts live until process exit; by then the driver may be shutting down, so failures here
  // are ignored rather than thrown from a destructor.
  int previous = -1;
  const bool have_previous = cudaGetDevice(&previous) == cudaSuccess;
  cudaSetDevice(device_);
  if (stream_) cudaStreamSynchronize(stream_);
  if (cudnn_) cudnnDestroy(cudnn_);
  if (cublas_) cublasDestroy(cublas_);
  if (workspace_) cudaFree(workspace_);
  for (void* w : retired_workspaces_)
    cudaFree(w);
  if (cublas_workspace_) cudaFree(cublas_workspace_);
  if (stream_) cudaStreamDestroy(stream_);
  if (have_previous) cudaSetDevice(previous);
}

cublasHandle_t KernelContext::cublas() {
  if (!cublas_) {
    DeviceGuard guard(device_);
    cublasHandle_t handle = nullptr;
    DEEPOBS_CUBLAS_CHECK(cublasCreate(&handle));
    // The workspace is a dedicated cudaMalloc block (not the caching allocator, whose blocks are
    // recycled by stream order) so that it stays valid for the handle's whole life.
    void* ws = nullptr;
    const cudaError_t st = cudaMalloc(&ws, kCublasWorkspaceBytes);
    if (st != cudaSuccess) {
      (void)cudaGetLastError();  // a failed allocation must not read as a later launch's error
      cublasDestroy(handle);
      DEEPOBS_CUDA_CHECK(st);
    }
    cublas_ = handle;
    cublas_workspace_ = ws;
    DEEPOBS_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    DEEPOBS_CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_, kCublasWorkspaceBytes));
    apply_cublas_math_mode(cublas_, policies_);
  }
  return cublas_;
}

cudnnHandle_t KernelContext::cudnn() {
  if (!cudnn_) {
    DeviceGuard guard(device_);
    cudnnHandle_t handle = nullptr;
    DEEPOBS_CUDNN_CHECK(cudnnCreate(&handle));
    cudnn_ = handle;
    DEEPOBS_CUDNN_CHECK(cudnnSetStream(cudnn_, stream_));
  }
  return cudnn_;
}

void KernelContext::set_policies(const Policies& p) {
  policies_ = p;
  if (cublas_) {
    DeviceGuard guard(device_);
    apply_cublas_math_mode(cublas_, policies_);
  }
}

void* KernelContext::workspace(std::size_t bytes) {
  if (bytes <= workspace_bytes_) return workspace_;
  DeviceGuard guard(device_);
  cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
  DEEPOBS_CUDA_CHECK(cudaStreamIsCapturing(stream_, &capturing));
  if (capturing != cudaStreamCaptureStatusNone)
    throw CudaError("the cuDNN/cuBLAS workspace of device " + std::to_string(device_) +
                    " would grow to " + std::to_string(bytes) +
                    " bytes inside a CUDA-graph capture (the warm-up steps did not need it)");
  // Work already queued may still read the old block: wait for it before freeing (growth happens
  // only in the first steps, never in the steady state).
  DEEPOBS_CUDA_CHECK(cudaStreamSynchronize(stream_));
  // Grow geometrically so that a sequence of slightly larger requests does not reallocate each
  // time.
  const std::size_t want = bytes < 2 * workspace_bytes_ ? 2 * workspace_bytes_ : bytes;
  if (workspace_ && retain_workspace_) {
    retired_workspaces_.push_back(workspace_);
    workspace_ = nullptr;
    workspace_bytes_ = 0;
  } else if (workspace_) {
    DEEPOBS_CUDA_CHECK(cudaFree(workspace_));
    workspace_ = nullptr;
    workspace_bytes_ = 0;
  }
  cudaError_t st = cudaMalloc(&workspace_, want);
  if (st != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky-free error state of a failed allocation
    device_empty_cache(device_);
    workspace_ = nullptr;
    st = cudaMalloc(&workspace_, bytes);
    if (st != cudaSuccess) {
      (void)cudaGetLastError();  // likewise before reporting it
      workspace_ = nullptr;
      DEEPOBS_CUDA_CHECK(st);
    }
    workspace_bytes_ = bytes;
    return workspace_;
  }
  workspace_bytes_ = want;
  return workspace_;
}

KernelContext& context(int device) {
  // One context per device for the life of the process. The contexts are never destroyed
  // (deliberately leaked): destroying streams and handles during static destruction races with
  // the CUDA runtime's own teardown.
  static std::mutex mutex;
  static std::vector<KernelContext*>* contexts = new std::vector<KernelContext*>();
  std::lock_guard<std::mutex> lock(mutex);
  static const int count = [] {
    int n = 0;
    DEEPOBS_CUDA_CHECK(cudaGetDeviceCount(&n));
    return n;
  }();
  if (device < 0 || device >= count)
    throw CudaError("CUDA device " + std::to_string(device) + " does not exist (this machine has " +
                    std::to_string(count) + ")");
  if (contexts->size() < static_cast<std::size_t>(count))
    contexts->resize(static_cast<std::size_t>(count), nullptr);
  auto& slot = (*contexts)[static_cast<std::size_t>(device)];
  if (!slot) slot = new KernelContext(device);
  return *slot;
}

void* stream(KernelContext& ctx) {
  return static_cast<void*>(ctx.stream());
}

int device_index(const KernelContext& ctx) {
  return ctx.device();
}

void set_policies(KernelContext& ctx, const Policies& policies) {
  ctx.set_policies(policies);
}

const Policies& policies(const KernelContext& ctx) {
  return ctx.policies();
}

void synchronize(KernelContext& ctx) {
  DeviceGuard guard(ctx.device());
  DEEPOBS_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
}

}  // namespace deepobs::kernels::cuda
