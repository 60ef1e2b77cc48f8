#include "kernels/cuda/device_query.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace deepobs::kernels::cuda {

int device_count_noexcept(std::string* error) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (error) *error = cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return 0;
  }
  return count;
}

bool device_properties(int index, DeviceProperties* out, std::string* error) {
  cudaDeviceProp prop{};
  const cudaError_t status = cudaGetDeviceProperties(&prop, index);
  if (status != cudaSuccess) {
    if (error) *error = cudaGetErrorString(status);
    cudaGetLastError();
    return false;
  }
  out->name = prop.name;
  out->compute_major = prop.major;
  out->compute_minor = prop.minor;
  out->total_memory_bytes = prop.totalGlobalMem;
  out->multiprocessors = prop.multiProcessorCount;
  return true;
}

int runtime_version() {
  int v = 0;
  if (cudaRuntimeGetVersion(&v) != cudaSuccess) return 0;
  return v;
}

int driver_version() {
  int v = 0;
  if (cudaDriverGetVersion(&v) != cudaSuccess) return 0;
  return v;
}

std::size_t cudnn_version() {
  return cudnnGetVersion();
}

int cublas_version() {
  int v = 0;
  if (cublasGetProperty(MAJOR_VERSION, &v) != CUBLAS_STATUS_SUCCESS) return 0;
  int minor = 0, patch = 0;
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  return v * 10000 + minor * 100 + patch;
}

}  // namespace deepobs::kernels::cuda
