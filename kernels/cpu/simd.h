// x86 SIMD intrinsics for the CPU kernels: every kernel file gets <immintrin.h> through this header
// (or through eigen.h, which includes it), never directly.
//
// GCC 12 reports -Wmaybe-uninitialized and -Wuninitialized inside its own AVX-512 intrinsics
// (avx512fintrin.h: the `__Y = __Y` self-initialisation of _mm512_undefined_epi32 and friends)
// wherever AVX-512 packet code is inlined, i.e. in every -march=native build on an AVX-512 CPU. It
// is a known compiler false positive (GCC bug 105593, fixed in GCC 13). GCC classifies such
// middle-end warnings by the source location they point at, so ignoring the warning while the
// intrinsics headers are first read silences exactly those lines and nothing of ours.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
#endif
