// Which Philox words each element of a draw uses, and how they become a variate. The CPU loops in
// kernels/cpu/random.cpp and the CUDA kernels call these same DEEPOBS_HD functions, so a draw gives
// the same bits on every device, and element i of a draw depends only on (seed, stream, call, i):
// not on the number of elements drawn, the thread count or the order of evaluation.
//
// Element → words (block b, lane l means lane l of PhiloxDraw::block(b, attempt),
// kernels/philox.h):
//   uniform f32, keep mask       element i: block i/4, lane i%4 (one word, 24 bits used);
//   uniform f64, permutation key element i: block i/2, lanes 2(i%2) (high) and 2(i%2)+1 (low);
//   normal (f32 and f64)         elements 2p and 2p+1 share block p: u1 from lanes 0,1 and u2 from
//                                lanes 2,3 (53 bits each); Box–Muller gives r·cos(2πu2) to the
//                                even element and r·sin(2πu2) to the odd one, r = sqrt(-2
//                                ln(1-u1));
//   truncated normal             as normal, but element 2p+h takes its value from the first attempt
//                                a = 0, 1, ... (block p at attempt a) that lands in [-2, 2].
// Normals are computed in double and only then rounded to the tensor's type.
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/philox.h"
#include "kernels/rng_math.h"

namespace deepobs::kernels {

// lo + range·u, rounded once per operation in a fixed order.
DEEPOBS_HD inline double affine(double lo, double range, double u) {
  return add_rn(lo, mul_rn(range, u));
}

// The Box–Muller pair of block `pair` at `attempt`: *z0 = r·cos(2πu2), *z1 = r·sin(2πu2).
DEEPOBS_HD inline void normal_pair(const PhiloxDraw& d, std::uint32_t pair, std::uint32_t attempt,
                                   double* z0, double* z1) {
  using namespace rng_detail;
  const PhiloxWords w = d.block(pair, attempt);
  const double u1 = uniform53(w.v[0], w.v[1]);
  const double u2 = uniform53(w.v[2], w.v[3]);
  // 1 - u1 is exact and lies in (0, 1], so the log is finite.
  const double r = sqrt_rn(mul_rn(-2.0, rng_log(sub_rn(1.0, u1))));
  double s = 0.0, c = 0.0;
  sincos_2pi(u2, &s, &c);
  *z0 = mul_rn(r, c);
  *z1 = mul_rn(r, s);
}

// Standard normals truncated to [-2, 2] for elements 2·pair and 2·pair+1. Each element keeps the
// first attempt at which its own value is inside, independently of its partner; an attempt fails
// with probability 4.6%, so the loop almost always ends after one or two blocks.
DEEPOBS_HD inline void truncated_normal_pair(const PhiloxDraw& d, std::uint32_t pair, double* z0,
                                             double* z1) {
  bool need0 = true, need1 = true;
  for (std::uint32_t attempt = 0; need0 || need1; ++attempt) {
    double c = 0.0, s = 0.0;
    normal_pair(d, pair, attempt, &c, &s);
    if (need0 && c >= -2.0 && c <= 2.0) {
      *z0 = c;
      need0 = false;
    }
    if (need1 && s >= -2.0 && s <= 2.0) {
      *z1 = s;
      need1 = false;
    }
  }
}

// Whether an element whose word is `w` survives dropout at `rate`: its 24-bit uniform u is >= rate,
// which happens with probability 1 - rate (rounded up to a multiple of 2^-24).
DEEPOBS_HD inline bool keep_element(std::uint32_t w, double rate) {
  return static_cast<double>(uniform24(w)) >= rate;
}

// The 64-bit sort key of permutation element 2·b + half, from block b.
DEEPOBS_HD inline std::uint64_t permutation_key(const PhiloxWords& block, int half) {
  return (static_cast<std::uint64_t>(block.v[2 * half]) << 32) | block.v[2 * half + 1];
}

}  // namespace deepobs::kernels
