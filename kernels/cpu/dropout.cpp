#include "kernels/cpu/dropout.h"

#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {

template <class T>
void apply_mask(const T* x, const T* mask, T* y, std::int64_t n) {
  parallel_for(n, kMinRangeWork, [=](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i)
      y[i] = x[i] * mask[i];
  });
}

template void apply_mask<float>(const float*, const float*, float*, std::int64_t);
template void apply_mask<double>(const double*, const double*, double*, std::int64_t);

}  // namespace deepobs::kernels::cpu
