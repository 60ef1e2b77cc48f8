// Block copies on the CPU: the data movement of concat and of its backward split.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

// Copies `rows` rows of `row_bytes` bytes each from src to dst; consecutive rows start
// `src_pitch` bytes apart in src and `dst_pitch` bytes apart in dst. The element type does not
// matter, so one kernel serves every dtype. The regions must not overlap; both are caller-owned.
void copy_rows(const void* src, std::int64_t src_pitch, void* dst, std::int64_t dst_pitch,
               std::int64_t rows, std::int64_t row_bytes);

}  // namespace deepobs::kernels::cpu
