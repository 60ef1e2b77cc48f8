// Applies a precomputed dropout mask on the CPU: y[i] = x[i] · mask[i] for n contiguous elements.
// The mask holds 0 or the keep scale 1/(1 - rate) (kernels/cpu/random.h, random_keep_mask), so the
// same call serves the forward pass (x = input) and the backward pass (x = output gradient). y may
// alias x.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

template <class T>
void apply_mask(const T* x, const T* mask, T* y, std::int64_t n);

}  // namespace deepobs::kernels::cpu
