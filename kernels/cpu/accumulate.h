// y += x over n contiguous elements (gradient accumulation). T is float or double.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

template <class T>
void accumulate(T* y, const T* x, std::int64_t n);

// out = a + b over n contiguous elements.
template <class T>
void add_into(T* out, const T* a, const T* b, std::int64_t n);

}  // namespace deepobs::kernels::cpu
