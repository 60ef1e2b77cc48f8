#include "kernels/cpu/embedding.h"

#include <algorithm>

namespace deepobs::kernels::cpu {

template <class T>
void embedding_forward(const T* table, const std::int64_t* ids, std::int64_t count,
                       std::int64_t /*vocabulary*/, std::int64_t width, T* out) {
  for (std::int64_t n = 0; n < count; ++n)
    std::copy_n(table + ids[n] * width, width, out + n * width);
}

template <class T>
void embedding_backward(const T* g, const std::int64_t* ids, std::int64_t count,
                        std::int64_t vocabulary, std::int64_t width, T* table_grad) {
  std::fill_n(table_grad, vocabulary * width, T(0));
  // Rows in increasing n: every element of the table's gradient is a sum in that fixed order,
  // which the CUDA twin (one thread per element, scanning n upwards) reproduces.
  for (std::int64_t n = 0; n < count; ++n) {
    T* dst = table_grad + ids[n] * width;
    const T* src = g + n * width;
    for (std::int64_t e = 0; e < width; ++e)
      dst[e] += src[e];
  }
}

#define DEEPOBS_INSTANTIATE(T)                                                                   \
  template void embedding_forward<T>(const T*, const std::int64_t*, std::int64_t, std::int64_t,  \
                                     std::int64_t, T*);                                          \
  template void embedding_backward<T>(const T*, const std::int64_t*, std::int64_t, std::int64_t, \
                                      std::int64_t, T*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
