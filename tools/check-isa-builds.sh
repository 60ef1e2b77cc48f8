#!/usr/bin/env bash
# Compile-only proof that the build is warning-clean on x86-64 CPUs other than this one: the
# default build uses -march=native, so which diagnostics appear depends on the machine (GCC 12
# warns inside its AVX-512 intrinsics only where AVX-512 is enabled). This builds every library
# and the deepobs executable (no tests, benchmarks or CUDA; nothing is run) with -Werror for
#   x86-64-v3  (AVX2 + FMA: Haswell and later, Zen 1–3)
#   x86-64-v4  (AVX-512 F/BW/CD/DQ/VL: Skylake-SP and later, Zen 4)
# into build-isa/<march>/. Other levels can be named as arguments.
#
#   tools/check-isa-builds.sh [march …]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
marches=("$@")
[ ${#marches[@]} -gt 0 ] || marches=(x86-64-v3 x86-64-v4)
for march in "${marches[@]}"; do
  build="$root/build-isa/$march"
  echo "check-isa-builds: -march=$march (compile only, warnings are errors) in ${build#$root/}"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEEPOBS_MARCH="$march" \
    -DDEEPOBS_WERROR=ON -DDEEPOBS_CUDA=OFF -DDEEPOBS_BUILD_TESTS=OFF -DDEEPOBS_BUILD_BENCH=OFF \
    >/dev/null
  cmake --build "$build" --target deepobs -j "$(nproc)"
done
echo "check-isa-builds: ${marches[*]}: warning-clean"
