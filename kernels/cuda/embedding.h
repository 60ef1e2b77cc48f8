// The CUDA twin of kernels/cpu/embedding.h (f32, device pointers of ctx's device, asynchronous on
// ctx's stream; a launch failure throws CudaError). CUDA-free header.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

class KernelContext;

// out[n, :] = table[ids[n], :]. An id outside [0, vocabulary) is not read: its row becomes NaN
// (checking on the host would cost a synchronisation per step), which the runner's divergence
// check stops on.
void embedding_forward(KernelContext& ctx, const float* table, const std::int64_t* ids,
                       std::int64_t count, std::int64_t vocabulary, std::int64_t width, float* out);

// table_grad[v, :] = Σ g[n, :] over ids[n] = v in increasing n (overwrites table_grad). One
// thread per table element scans the ids in order and adds with __fadd_rn: no atomics, the CPU's
// order and so its bits. The scan costs count·vocabulary·width comparisons, which suits a
// character vocabulary (83); a word-level vocabulary would want a sort-based segmented sum.
void embedding_backward(KernelContext& ctx, const float* g, const std::int64_t* ids,
                        std::int64_t count, std::int64_t vocabulary, std::int64_t width,
                        float* table_grad);

}  // namespace deepobs::kernels::cuda
