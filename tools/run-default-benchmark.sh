#!/usr/bin/env bash
# The quick start's first command: installs the dependencies, builds deepobs (Release) and runs the
# default benchmark — fmnist_2c2d with Momentum 0.99 at the baselines' tuned lr 2.5119e-3 for two
# epochs on real Fashion-MNIST (Debian's dataset-fashion-mnist, no download) — then prints where
# the DeepOBS result file is. Extra arguments go to `deepobs run` (e.g. -N 5, --output_dir DIR).
#
# It shows one line per stage and then the training progress. What the package manager, CMake and
# the compiler print goes to build/logs/*.log, which are named (with their first errors) when a
# stage fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
logs="$root/build/logs"
mkdir -p "$logs"

# stage <label> <log name> <command…>: runs the command with its output in the log, prints one line.
stage() {
  local label=$1 log="$logs/$2.log" start=$SECONDS
  shift 2
  printf '%-34s' "$label..."
  if "$@" >"$log" 2>&1; then
    echo " done ($((SECONDS - start)) s)"
  else
    echo " FAILED"
    echo "run-default-benchmark: $label failed; the full output is in $log. First errors:" >&2
    { grep -m 8 -iE 'error|fatal|not found' "$log" || tail -n 15 "$log"; } >&2
    exit 1
  fi
}

stage "installing dependencies (apt-get)" install "$root/tools/install-deps.sh"
stage "configuring (CMake, Release)" configure \
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release
stage "building deepobs ($(nproc) jobs)" build \
  cmake --build "$root/build" --target deepobs -j "$(nproc)"
echo
result=$("$root/build/deepobs" run fmnist_2c2d --optimizer MomentumOptimizer --momentum 0.99 \
  --lr 2.5119e-3 --num_epochs 2 --device auto "$@")
echo "result file: $result"
