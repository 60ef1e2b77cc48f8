#!/usr/bin/env bash
# The quick start's first command: installs the dependencies, builds deepobs (Release) and runs the
# default benchmark — fmnist_2c2d with Momentum 0.99 at the baselines' tuned lr 2.5119e-3 for two
# epochs on real Fashion-MNIST (Debian's dataset-fashion-mnist, no download) — then prints where
# the DeepOBS result file is. Extra arguments go to `deepobs run` (e.g. -N 5, --output_dir DIR).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/install-deps.sh"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" --target deepobs -j "$(nproc)"
result=$("$root/build/deepobs" run fmnist_2c2d --optimizer MomentumOptimizer --momentum 0.99 \
  --lr 2.5119e-3 --num_epochs 2 --device auto "$@")
echo "result file: $result"
