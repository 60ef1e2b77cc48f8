#!/usr/bin/env bash
# Vendors the build dependencies that the lent GPU machine lacks (it has nvcc, CMake, ninja and
# PyTorch, but none of our Debian header packages and no network) into .deps/ (in .gitignore),
# laid out as an install prefix so that CMake's find_package finds everything through
# CMAKE_PREFIX_PATH without any change to the build files:
#
#   .deps/include/{eigen3,nlohmann,cxxopts.hpp,zlib.h,zconf.h}   headers
#   .deps/share/eigen3/cmake, .deps/share/cmake/nlohmann_json,
#   .deps/lib/cmake/cxxopts                                       their CMake package files
#   .deps/lib/libz.a                                              zlib, static (x86-64)
#   .deps/src/googletest                                          GoogleTest sources (gpu-check
#                                                                 builds them there)
#
# Run it HERE (on the machine with the Debian packages), then carry .deps to the GPU machine:
#   tools/gpu-deps.sh && <device run> "bash tools/gpu-check.sh" with carry [".deps"]
# About 15 MB. Idempotent: it rebuilds .deps from scratch each time.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps="$root/.deps"

need() {
  [ -e "$1" ] || { echo "gpu-deps: $1 is missing; run tools/install-deps.sh first" >&2; exit 1; }
}
for p in /usr/include/eigen3 /usr/share/eigen3/cmake /usr/include/nlohmann \
         /usr/share/cmake/nlohmann_json /usr/include/cxxopts.hpp /usr/include/zlib.h \
         /usr/include/zconf.h /usr/lib/x86_64-linux-gnu/libz.a /usr/src/googletest; do
  need "$p"
done
[ "$(uname -m)" = x86_64 ] || { echo "gpu-deps: libz.a must be x86-64 (the GPU machine's)" >&2; exit 1; }

rm -rf "$deps"
mkdir -p "$deps/include" "$deps/share/eigen3" "$deps/share/cmake" "$deps/lib/cmake" "$deps/src"
cp -r /usr/include/eigen3 "$deps/include/"
cp -r /usr/share/eigen3/cmake "$deps/share/eigen3/"
cp -r /usr/include/nlohmann "$deps/include/"
cp -r /usr/share/cmake/nlohmann_json "$deps/share/cmake/"
cp /usr/include/cxxopts.hpp /usr/include/zlib.h /usr/include/zconf.h "$deps/include/"
[ -d /usr/lib/cmake/cxxopts ] && cp -r /usr/lib/cmake/cxxopts "$deps/lib/cmake/"
cp /usr/lib/x86_64-linux-gnu/libz.a "$deps/lib/"
cp -r /usr/src/googletest "$deps/src/"
echo "gpu-deps: vendored into $deps ($(du -sh "$deps" | cut -f1)); carry it as \".deps\""
