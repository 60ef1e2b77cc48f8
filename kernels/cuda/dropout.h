// Applies a precomputed dropout mask on a CUDA device: the twin of kernels/cpu/dropout.h,
// y[i] = x[i]·mask[i] for n floats (a single IEEE multiply: bit-identical to the CPU). Device
// memory of ctx's device; y may alias x. Queued on ctx's stream. CUDA-free header; defined in
// dropout.cu.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

class KernelContext;

void apply_mask(KernelContext& ctx, const float* x, const float* mask, float* y, std::int64_t n);

}  // namespace deepobs::kernels::cuda
