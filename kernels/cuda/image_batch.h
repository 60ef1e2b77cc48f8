// The CUDA twin of kernels/cpu/image_batch.h: one fused kernel per mini-batch over the
// GPU-resident u8 data set (gather, pad/crop/flip, brightness, saturation, contrast,
// standardisation → f32 NCHW), one thread block per image working in shared memory. CUDA-free
// header: pointers are device pointers, `stream` is the context's cudaStream_t as void*. Same
// semantics and the same bits as the CPU function; asynchronous on `stream`; a launch failure
// throws CudaError.
#pragma once

#include <cstdint>

#include "kernels/image_pipeline.h"

namespace deepobs::kernels::cuda {

// The largest image (H·W·3 values) the kernel takes: its two shared-memory arrays of that many
// floats must fit into the 48 KB a block gets without opting in (32×32×3 = 3072 does).
inline constexpr std::int64_t kMaxImageBatchValues = 6144;

void image_batch(const std::uint8_t* src, const std::int64_t* index, std::int64_t first,
                 std::int64_t count, const ImagePipelineConfig& config, const PhiloxDraw& draw,
                 float* dst, void* stream);

}  // namespace deepobs::kernels::cuda
