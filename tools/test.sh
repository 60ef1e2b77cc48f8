#!/usr/bin/env bash
# The test command: installs the Debian dependencies, configures, builds and runs every test.
#
#   tools/test.sh                 CUDA build when nvcc is found (GPU tests skip without a GPU)
#   tools/test.sh --cpu-only      CPU-only build (-DDEEPOBS_CUDA=OFF)
#   tools/test.sh --sanitize      AddressSanitizer + UndefinedBehaviorSanitizer build, without
#                                 the tests labelled heavy (VGG/ImageNet training steps)
#   tools/test.sh -- -L gpu       anything after -- goes to ctest (here: only the gpu tests)
#
# Build directories: build/ (default), build-cpu/, build-asan/. Warnings are errors.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DDEEPOBS_WERROR=ON)
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu-only) build="$root/build-cpu"; cmake_args+=(-DDEEPOBS_CUDA=OFF) ;;
    --sanitize)
      build="$root/build-asan"
      ctest_args+=(-LE heavy)  # the 224×224 VGG/ImageNet steps: minutes each under ASan
      cmake_args+=(-DDEEPOBS_SANITIZE=ON -DDEEPOBS_CUDA=OFF -DDEEPOBS_BUILD_BENCH=OFF
                   -DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
    --) shift; ctest_args+=("$@"); break ;;
    *) echo "tools/test.sh: unknown option '$1' (see the comment at the top of this script)" >&2
       exit 2 ;;
  esac
  shift
done

"$root/tools/install-deps.sh"
jobs=$(nproc)
cmake -S "$root" -B "$build" -G Ninja "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j "$jobs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j "$jobs" "${ctest_args[@]}"
