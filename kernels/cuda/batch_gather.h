// The CUDA twin of kernels/cpu/batch_gather.h: a mini-batch gathered from a data set resident in
// device memory, converted to f32 on the device. CUDA-free header: all pointers are device
// pointers of ctx's device. Same bits as the CPU functions (u8 → f32 is __fdiv_rn, IEEE division
// rounded to nearest). Each call is one kernel launch, asynchronous on ctx's stream; a launch
// failure throws CudaError.
//
// Capture-ready: the batch's first position is read on the device from `first` (one i64), which
// add_i64 advances on the device, so a recorded CUDA graph gathers the next batch on every replay.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

class KernelContext;

// dst[i*row + j] = src[r(i)*row + j] / divisor, with r(i) = index[*first + i] (a device i64
// array) or *first + i when index is null. Rows must lie in [0, N) (not checked on the device).
void gather_rows_u8_to_f32(KernelContext& ctx, const std::uint8_t* src, const std::int64_t* index,
                           const std::int64_t* first, std::int64_t count, std::int64_t row,
                           float divisor, float* dst);
void gather_rows_f32(KernelContext& ctx, const float* src, const std::int64_t* index,
                     const std::int64_t* first, std::int64_t count, std::int64_t row, float* dst);
void gather_i64(KernelContext& ctx, const std::int64_t* src, const std::int64_t* index,
                const std::int64_t* first, std::int64_t count, std::int64_t* dst);

// *counter += delta on the device (one thread), ordered on ctx's stream.
void add_i64(KernelContext& ctx, std::int64_t* counter, std::int64_t delta);

}  // namespace deepobs::kernels::cuda
