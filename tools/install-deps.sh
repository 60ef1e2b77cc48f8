#!/usr/bin/env bash
# Installs every Debian package that deepobs-cpp's build, tests, benchmarks and analyzer need.
# Idempotent: when everything is present it prints nothing and exits 0.
# The CUDA toolkit (with cuDNN and cuBLAS) is expected at /usr/local/cuda and is not installed here.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libeigen3-dev nlohmann-json3-dev libcxxopts-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libmatio-dev curl libturbojpeg0-dev
  dataset-fashion-mnist
  python3 python3-numpy python3-matplotlib python3-pandas
  clang-format chromium time
  slurm-wlm munge
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install as root: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# apt's own chatter goes to a log, shown only when something fails.
log=$(mktemp "${TMPDIR:-/tmp}/deepobs-install-deps.XXXXXX.log")
if ! { "${sudo_cmd[@]}" apt-get update -qq && \
       "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  echo "install-deps: apt-get failed; the last lines of its log ($log):" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
rm -f "$log"
echo "install-deps: done"
