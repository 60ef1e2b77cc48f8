// Block copies and bulk conversions on a CUDA device. CUDA-free header; defined in copy.cu.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

class KernelContext;

// The twin of kernels/cpu/copy.h: `rows` rows of `row_bytes` bytes from src (rows `src_pitch`
// bytes apart) to dst (rows `dst_pitch` bytes apart), device memory of ctx's device, not
// overlapping. Queued on ctx's stream (cudaMemcpy2DAsync).
void copy_rows(KernelContext& ctx, const void* src, std::int64_t src_pitch, void* dst,
               std::int64_t dst_pitch, std::int64_t rows, std::int64_t row_bytes);

// Element types the conversion and fill kernels know; the same five as core's DType, restated
// here because kernels/ cannot see core/.
enum class ElementType : std::uint8_t { kF32, kF64, kI32, kI64, kU8 };

// dst[i] = static_cast<dst type>(src[i]) for i < n (C++ conversion rules: floating → integer
// truncates toward zero). Device memory of ctx's device; queued on ctx's stream.
void convert(KernelContext& ctx, const void* src, ElementType src_type, void* dst,
             ElementType dst_type, std::int64_t n);

// data[i] = static_cast<type>(value) for i < n; device memory of ctx's device, queued on ctx's
// stream.
void fill(KernelContext& ctx, void* data, ElementType type, std::int64_t n, double value);

}  // namespace deepobs::kernels::cuda
