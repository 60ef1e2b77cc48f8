// Questions about the CUDA runtime and devices, asked without letting any CUDA error escape.
// This header includes no CUDA header so that core/ can use it in every build; the functions are
// defined only in a CUDA build (kernels/cuda/device_query.cpp).
#pragma once

#include <cstddef>
#include <string>

namespace deepobs::kernels::cuda {

struct DeviceProperties {
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  std::size_t total_memory_bytes = 0;
  int multiprocessors = 0;
};

// Number of CUDA devices; 0 on any error (no driver, no device, insufficient driver), never throws.
// `error` (optional) receives the runtime's message when the count failed.
int device_count_noexcept(std::string* error = nullptr);
// Properties of device `index`; false (and the runtime's message in `error`) on failure.
bool device_properties(int index, DeviceProperties* out, std::string* error = nullptr);
// Versions as the libraries report them (runtime/driver as 1000*major + 10*minor; 0 if unknown).
int runtime_version();
int driver_version();
std::size_t cudnn_version();
int cublas_version();

}  // namespace deepobs::kernels::cuda
