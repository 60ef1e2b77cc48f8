#include "kernels/cpu/dropout.h"

namespace deepobs::kernels::cpu {

template <class T>
void apply_mask(const T* x, const T* mask, T* y, std::int64_t n) {
#pragma omp parallel for schedule(static) if (n >= (1 << 16))
  for (std::int64_t i = 0; i < n; ++i)
    y[i] = x[i] * mask[i];
}

template void apply_mask<float>(const float*, const float*, float*, std::int64_t);
template void apply_mask<double>(const double*, const double*, double*, std::int64_t);

}  // namespace deepobs::kernels::cpu
