#!/usr/bin/env bash
# Builds (Release, CPU kernels) and runs the engine's CPU benchmark: dense and conv2d forward +
# backward at the shapes of fmnist_2c2d, batch 128. Extra arguments go to Google Benchmark, e.g.
#   tools/bench/run.sh --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
"$root/tools/install-deps.sh"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" --target bench_cpu_ops -j "$(nproc)"
exec "$root/build/tools/bench/bench_cpu_ops" "$@"
