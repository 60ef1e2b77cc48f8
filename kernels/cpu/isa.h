// The instruction set the CPU kernels were compiled for. Results of the same run differ in the
// last bits between, say, an AVX2 and an AVX-512 build (Eigen's packet width changes how sums are
// split), so result files record it and a user comparing two machines can see why.
#pragma once

#include <string>

namespace deepobs::kernels::cpu {

struct CpuIsa {
  std::string march;       // the -march the build used ("native", "x86-64-v3", ...; "" = default)
  std::string level;       // x86-64 micro-architecture level the code requires: "x86-64-v4", ...
  std::string extensions;  // the SIMD extensions enabled at compile time, e.g. "avx512f avx2 fma"
  std::string eigen;       // what Eigen vectorises with, e.g. "AVX512, FMA, AVX2, AVX, SSE4.2, ..."
};

CpuIsa cpu_isa();

}  // namespace deepobs::kernels::cpu
