// Sets n floats at device pointer `data` to `value`, on `stream` (a cudaStream_t passed as void*
// so that this header needs no CUDA header). Throws CudaError on a launch failure.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

void fill_f32(float* data, std::int64_t n, float value, void* stream);

}  // namespace deepobs::kernels::cuda
