// Building a mini-batch from a data set held in memory: gather the rows of the batch's examples
// (in the order of an index list or in stored order) and convert them to f32. The CUDA twin is
// kernels/cuda/batch_gather.h; both compute u8 → f32 as one IEEE division rounded to nearest, so
// a batch is bit-identical on either device.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

// dst[i*row + j] = src[r(i)*row + j] / divisor for i < count, j < row, where r(i) = index[i] when
// `index` is not null (each index in [0, N) of the source's N rows; the caller guarantees it) and
// r(i) = first + i otherwise. dst holds count*row floats; the division is IEEE f32 division.
void gather_rows_u8_to_f32(const std::uint8_t* src, const std::int64_t* index, std::int64_t first,
                           std::int64_t count, std::int64_t row, float divisor, float* dst);
// The same for f32 sources, copied unchanged.
void gather_rows_f32(const float* src, const std::int64_t* index, std::int64_t first,
                     std::int64_t count, std::int64_t row, float* dst);
// dst[i] = src[r(i)] for i < count (labels).
void gather_i64(const std::int64_t* src, const std::int64_t* index, std::int64_t first,
                std::int64_t count, std::int64_t* dst);

}  // namespace deepobs::kernels::cpu
