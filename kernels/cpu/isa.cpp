#include "kernels/cpu/isa.h"

#include <string_view>

#include "kernels/cpu/eigen.h"

#ifndef DEEPOBS_CPU_MARCH
#define DEEPOBS_CPU_MARCH ""
#endif

namespace deepobs::kernels::cpu {
namespace {

void add(std::string& list, std::string_view name) {
  if (!list.empty()) list += ' ';
  list += name;
}

}  // namespace

CpuIsa cpu_isa() {
  CpuIsa isa;
  isa.march = DEEPOBS_CPU_MARCH;
  // Predefined by the compiler for the target of this translation unit, which is compiled with the
  // same flags as every kernel.
#if defined(__x86_64__)
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512CD__) && \
    defined(__AVX512DQ__) && defined(__AVX512VL__)
  isa.level = "x86-64-v4";
#elif defined(__AVX2__) && defined(__FMA__) && defined(__BMI2__)
  isa.level = "x86-64-v3";
#elif defined(__SSE4_2__) && defined(__POPCNT__)
  isa.level = "x86-64-v2";
#else
  isa.level = "x86-64";
#endif
#else
  isa.level = "not x86-64";
#endif
  std::string& e = isa.extensions;
#ifdef __AVX512F__
  add(e, "avx512f");
#endif
#ifdef __AVX512BW__
  add(e, "avx512bw");
#endif
#ifdef __AVX512DQ__
  add(e, "avx512dq");
#endif
#ifdef __AVX512VL__
  add(e, "avx512vl");
#endif
#ifdef __AVX2__
  add(e, "avx2");
#endif
#ifdef __FMA__
  add(e, "fma");
#endif
#ifdef __AVX__
  add(e, "avx");
#endif
#ifdef __SSE4_2__
  add(e, "sse4.2");
#endif
#ifdef __SSE2__
  add(e, "sse2");
#endif
#ifdef __ARM_NEON
  add(e, "neon");
#endif
  isa.eigen = Eigen::SimdInstructionSetsInUse();
  return isa;
}

}  // namespace deepobs::kernels::cpu
