// Error checks for CUDA runtime, cuBLAS and cuDNN calls: every failure becomes a
// deepobs::kernels::cuda::CudaError naming the call, file, line and the library's own message.
// Internal to kernels/cuda: a .cuh file, because it includes CUDA headers.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <stdexcept>
#include <string>

namespace deepobs::kernels::cuda {

class CudaError : public std::runtime_error {
 public:
  explicit CudaError(const std::string& m) : std::runtime_error(m) {}
};

[[noreturn]] inline void raise(const char* library, const char* call, const char* message,
                               const char* file, int line) {
  throw CudaError(std::string(library) + " error in " + call + " at " + file + ":" +
                  std::to_string(line) + ": " + message);
}

}  // namespace deepobs::kernels::cuda

#define DEEPOBS_CUDA_CHECK(call)                                                          \
  do {                                                                                    \
    const cudaError_t deepobs_status_ = (call);                                           \
    if (deepobs_status_ != cudaSuccess)                                                   \
      ::deepobs::kernels::cuda::raise("CUDA", #call, cudaGetErrorString(deepobs_status_), \
                                      __FILE__, __LINE__);                                \
  } while (0)

#define DEEPOBS_CUBLAS_CHECK(call)                                                             \
  do {                                                                                         \
    const cublasStatus_t deepobs_status_ = (call);                                             \
    if (deepobs_status_ != CUBLAS_STATUS_SUCCESS)                                              \
      ::deepobs::kernels::cuda::raise("cuBLAS", #call, cublasGetStatusString(deepobs_status_), \
                                      __FILE__, __LINE__);                                     \
  } while (0)

#define DEEPOBS_CUDNN_CHECK(call)                                                           \
  do {                                                                                      \
    const cudnnStatus_t deepobs_status_ = (call);                                           \
    if (deepobs_status_ != CUDNN_STATUS_SUCCESS)                                            \
      ::deepobs::kernels::cuda::raise("cuDNN", #call, cudnnGetErrorString(deepobs_status_), \
                                      __FILE__, __LINE__);                                  \
  } while (0)

// Checks the launch of the kernel just issued.
#define DEEPOBS_CUDA_CHECK_LAUNCH() DEEPOBS_CUDA_CHECK(cudaGetLastError())
