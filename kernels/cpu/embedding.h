// Embedding lookup on the CPU: a gather of table rows and its deterministic scatter-add gradient.
// The CUDA twin (kernels/cuda/embedding.h) adds in the same order, so both give the same bits.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

// out[n, :] = table[ids[n], :] for n < count; table is [vocabulary, width]. Every id must lie in
// [0, vocabulary) (the op checks it before calling).
template <class T>
void embedding_forward(const T* table, const std::int64_t* ids, std::int64_t count,
                       std::int64_t vocabulary, std::int64_t width, T* out);

// table_grad[v, :] = Σ g[n, :] over the n with ids[n] = v, added in increasing n starting from
// 0 (overwrites table_grad, [vocabulary, width]). No atomics: the order is fixed.
template <class T>
void embedding_backward(const T* g, const std::int64_t* ids, std::int64_t count,
                        std::int64_t vocabulary, std::int64_t width, T* table_grad);

}  // namespace deepobs::kernels::cpu
