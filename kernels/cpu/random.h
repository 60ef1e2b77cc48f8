// CPU fills for the counter-based draws of kernels/random_draws.h: element i of `out` receives the
// value the layout there assigns to element i of draw `d`, so the result is bit-identical to the
// CUDA kernels' and independent of the thread count. Buffers are contiguous and caller-owned;
// n >= 0 and n <= 2^33 (the block index of a draw is 32 bits wide). Parallel across the CPU threads
// (kernels/cpu/parallel.h) for large n.
#pragma once

#include <cstdint>

#include "kernels/philox.h"

namespace deepobs::kernels::cpu {

// out[i] = lo + (hi - lo)·u_i, computed in double and rounded to T. u_i has 24 random bits for
// T = float and 53 for T = double, so values lie in [lo, hi) except that the final rounding to T
// may produce hi itself.
template <class T>
void random_uniform(const PhiloxDraw& d, T* out, std::int64_t n, double lo, double hi);

// out[i] = mean + stddev·z_i with z_i a standard normal (Box–Muller in double), rounded to T.
template <class T>
void random_normal(const PhiloxDraw& d, T* out, std::int64_t n, double mean, double stddev);

// As random_normal, with z_i resampled until it lies in [-2, 2] (values within two standard
// deviations of the mean; no rescaling, so the standard deviation is 0.8796·stddev).
template <class T>
void random_truncated_normal(const PhiloxDraw& d, T* out, std::int64_t n, double mean,
                             double stddev);

// out[i] = keep_value when element i is kept (probability 1 - rate, see keep_element), else 0.
template <class T>
void random_keep_mask(const PhiloxDraw& d, T* out, std::int64_t n, double rate, T keep_value);

// out = a permutation of 0..n-1: indices sorted by their 64-bit Philox keys, equal keys by index.
void random_permutation(const PhiloxDraw& d, std::int64_t* out, std::int64_t n);

}  // namespace deepobs::kernels::cpu
