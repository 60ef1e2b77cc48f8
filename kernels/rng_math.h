// Scalar math for turning Philox words into floating-point variates, identically on host and
// device.
//
// A libm log or sin differs between glibc, the CUDA math library and compiler versions by an ulp
// here and there, which would make a normal drawn on the GPU differ from its CPU twin. The
// functions below therefore use only IEEE-754 basic operations (+ − × ÷ and sqrt, all correctly
// rounded), comparisons, integer conversions and bit operations on the double representation, in
// a fixed order. That yields the same bits on every conforming platform provided the compiler does
// not contract a*b+c into an FMA: host code is compiled with -ffp-contract=off, and device code
// goes through the explicitly rounded intrinsics (__dmul_rn, ...) which nvcc never fuses.
//
// Accuracy: rng_log and sincos_2pi are within a few ulp (about 1e-15 relative) of the exact value.
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/round_nearest.h"

#if !defined(__CUDA_ARCH__)
#include <bit>
#include <cmath>
#endif

namespace deepobs::kernels {

namespace rng_detail {

DEEPOBS_HD inline std::uint64_t bits_of(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  return std::bit_cast<std::uint64_t>(x);
#endif
}
DEEPOBS_HD inline double from_bits(std::uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(b));
#else
  return std::bit_cast<double>(b);
#endif
}

inline constexpr std::uint64_t kInfBits = 0x7ff0000000000000ull;
inline constexpr std::uint64_t kNanBits = 0x7ff8000000000000ull;
inline constexpr std::uint64_t kExpMask = 0x7ff0000000000000ull;

// ln 2 split so that e * kLn2Hi is exact for every binary exponent e (kLn2Hi has 32 significant
// bits, |e| < 2^11), and kLn2Lo carries the rest.
inline constexpr double kLn2Hi = 0x1.62e42fee00000p-1;
inline constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
inline constexpr double kSqrt2 = 0x1.6a09e667f3bcdp+0;

}  // namespace rng_detail

// A float in [0, 1) from the top 24 bits of `w`: exactly k·2^-24 for k = w >> 8, every value
// equally likely.
DEEPOBS_HD inline float uniform24(std::uint32_t w) {
  return static_cast<float>(w >> 8) * 0x1p-24f;
}

// A double in [0, 1) from the top 53 bits of the 64-bit word (hi, lo): exactly k·2^-53.
DEEPOBS_HD inline double uniform53(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t w = (static_cast<std::uint64_t>(hi) << 32) | lo;
  return mul_rn(static_cast<double>(w >> 11), 0x1p-53);
}

// Natural logarithm: -inf for ±0, NaN for negative numbers and NaN, +inf for +inf; subnormal
// arguments are handled.
DEEPOBS_HD inline double rng_log(double x) {
  using namespace rng_detail;
  if (x != x || x < 0.0) return from_bits(kNanBits);
  if (x == 0.0) return from_bits(kInfBits | (1ull << 63));
  std::uint64_t b = bits_of(x);
  if ((b & kExpMask) == kExpMask) return x;  // +inf
  int e = 0;
  if ((b & kExpMask) == 0) {  // subnormal: scale into the normal range first (exact)
    x = mul_rn(x, 0x1p54);
    b = bits_of(x);
    e = -54;
  }
  e += static_cast<int>((b >> 52) & 0x7ff) - 1023;
  // The mantissa as a number in [1, 2), moved to [sqrt(1/2), sqrt(2)) so |s| stays small.
  double m = from_bits((b & ~kExpMask) | (1023ull << 52));
  if (m >= kSqrt2) {
    m = mul_rn(m, 0.5);
    e += 1;
  }
  // 2/(2k+1), k = 1..11: log(m) = 2 atanh(s) = 2s + (2/3) s^3 + (2/5) s^5 + ... with
  // s = (m-1)/(m+1). For m in [sqrt(1/2), sqrt(2)), |s| <= 0.1716 and the first omitted term is
  // below 1e-18 of the result. (Local, because namespace-scope arrays are not visible on the GPU.)
  constexpr double kAtanh[11] = {0x1.5555555555555p-1, 0x1.999999999999ap-2, 0x1.2492492492492p-2,
                                 0x1.c71c71c71c71cp-3, 0x1.745d1745d1746p-3, 0x1.3b13b13b13b14p-3,
                                 0x1.1111111111111p-3, 0x1.e1e1e1e1e1e1ep-4, 0x1.af286bca1af28p-4,
                                 0x1.8618618618618p-4, 0x1.642c8590b2164p-4};
  const double s = div_rn(sub_rn(m, 1.0), add_rn(m, 1.0));  // m - 1 is exact (Sterbenz)
  const double s2 = mul_rn(s, s);
  double p = kAtanh[10];
  for (int k = 9; k >= 0; --k)
    p = add_rn(kAtanh[k], mul_rn(s2, p));
  // log(m) = 2s + s·s²·P(s²); the correction is under 2% of 2s, so its rounding barely counts.
  const double log_m = add_rn(mul_rn(2.0, s), mul_rn(s, mul_rn(s2, p)));
  const double de = static_cast<double>(e);
  return add_rn(mul_rn(de, kLn2Hi), add_rn(mul_rn(de, kLn2Lo), log_m));
}

// sin(2π·u) and cos(2π·u), written to *s and *c. Exact reduction: with t = 4u (exact) and q the
// integer nearest t, f = t - q is exact and 2πu = q·π/2 + (π/2)·f with |f| <= 1/2, so the result
// is accurate to a few ulp even where it is tiny (u near a multiple of 1/2). NaN for non-finite u.
DEEPOBS_HD inline void sincos_2pi(double u, double* s, double* c) {
  using namespace rng_detail;
  const double t = mul_rn(u, 4.0);
  if (t != t || sub_rn(t, t) != 0.0) {  // NaN or ±inf
    *s = *c = from_bits(kNanBits);
    return;
  }
  // Beyond 2^62, t is a multiple of 2^10, so u is an integer: the angle is a multiple of 2π.
  if (!(t < 0x1p62 && t > -0x1p62)) {
    *s = 0.0;
    *c = 1.0;
    return;
  }
  // Taylor coefficients of sin(π/2·f) in odd powers of f and of cos(π/2·f) in even powers, each
  // (π/2)^n / n! with alternating sign, rounded to double from a 300-bit evaluation. For |f| <= 1/2
  // the omitted terms are below 1e-18.
  constexpr double kSin[9] = {0x1.921fb54442d18p+0,  -0x1.4abbce625be53p-1,  0x1.466bc6775aae2p-4,
                              -0x1.32d2cce62bd86p-8, 0x1.50783487ee782p-13,  -0x1.e3074fde8871fp-19,
                              0x1.e8f434d018d63p-25, -0x1.6fadb9f155744p-31, 0x1.aaec32af93359p-38};
  constexpr double kCos[10] = {
      0x1.0000000000000p+0,  -0x1.3bd3cc9be45dep+0,  0x1.03c1f081b5ac4p-2,  -0x1.55d3c7e3cbffap-6,
      0x1.e1f506891babbp-11, -0x1.a6d1f2a204a8cp-16, 0x1.f9d38a3763cc3p-22, -0x1.b6e24f44b128fp-28,
      0x1.20c62c2f2d7f5p-34, -0x1.2a0c591af8314p-41};
  const auto q = static_cast<std::int64_t>(t >= 0.0 ? add_rn(t, 0.5) : sub_rn(t, 0.5));
  const double f = sub_rn(t, static_cast<double>(q));
  const double f2 = mul_rn(f, f);
  double ps = kSin[8];
  for (int k = 7; k >= 0; --k)
    ps = add_rn(kSin[k], mul_rn(f2, ps));
  const double sin_f = mul_rn(f, ps);
  double pc = kCos[9];
  for (int k = 8; k >= 0; --k)
    pc = add_rn(kCos[k], mul_rn(f2, pc));
  const double cos_f = pc;
  // Rotate by q quarter turns; q & 3 is q mod 4 also for negative q (two's complement).
  switch (q & 3) {
    case 0:
      *s = sin_f;
      *c = cos_f;
      break;
    case 1:
      *s = cos_f;
      *c = -sin_f;
      break;
    case 2:
      *s = -sin_f;
      *c = -cos_f;
      break;
    default:
      *s = -cos_f;
      *c = sin_f;
      break;
  }
}

}  // namespace deepobs::kernels
