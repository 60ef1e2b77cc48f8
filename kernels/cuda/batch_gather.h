// The CUDA twin of kernels/cpu/batch_gather.h: a mini-batch gathered from a data set resident in
// device memory, converted to f32 on the device. CUDA-free header: all pointers are device
// pointers, `stream` is the context's cudaStream_t passed as void*. Same semantics and the same
// bits as the CPU functions (u8 → f32 is __fdiv_rn, IEEE division rounded to nearest). Each call
// is one kernel launch, asynchronous on `stream`; a launch failure throws CudaError.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

// dst[i*row + j] = src[r(i)*row + j] / divisor, r(i) = index[i] (device i64 array) or first + i
// when index is null. Indices must lie in [0, N) of the source's rows (not checked on the device).
void gather_rows_u8_to_f32(const std::uint8_t* src, const std::int64_t* index, std::int64_t first,
                           std::int64_t count, std::int64_t row, float divisor, float* dst,
                           void* stream);
void gather_rows_f32(const float* src, const std::int64_t* index, std::int64_t first,
                     std::int64_t count, std::int64_t row, float* dst, void* stream);
void gather_i64(const std::int64_t* src, const std::int64_t* index, std::int64_t first,
                std::int64_t count, std::int64_t* dst, void* stream);

}  // namespace deepobs::kernels::cuda
