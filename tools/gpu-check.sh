#!/usr/bin/env bash
# One command that verifies the CUDA backend on a machine with an NVIDIA GPU: builds deepobs-cpp
# with CUDA (or reuses a build), runs the GPU tests, the device-policy tests, a short GPU run of
# `deepobs run`, and the GPU benchmark against PyTorch, then prints a summary table.
#
#   tools/gpu-check.sh [--build DIR] [--no-build] [--no-bench] [--jobs N]
#
# Outputs go to $OUT when set (the device tool brings that folder back), else out/gpu-check/:
# gpu_tests.xml, summary.md, deepobs_bench.json, pytorch_bench.json, gpu-check.log.
#
# On the lent GPU machine (nvcc, CMake, ninja, PyTorch; no Debian dev packages, no network) run
# tools/gpu-deps.sh here first and carry .deps: this script then builds GoogleTest from
# .deps/src/googletest and points CMake at .deps. cuDNN is taken from the CUDA toolkit, the
# system, or PyTorch's nvidia-cudnn wheel, whichever has cudnn.h. Designed to finish in one call
# of under 10 minutes on 16 cores; each stage has its own time limit so the summary always prints.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-gpu"
do_build=1
do_bench=1
jobs=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(realpath -m "$2"); shift ;;
    --no-build) do_build=0 ;;
    --no-bench) do_bench=0 ;;
    --jobs) jobs="$2"; shift ;;
    *) echo "gpu-check: unknown option '$1' (--build DIR, --no-build, --no-bench, --jobs N)" >&2
       exit 2 ;;
  esac
  shift
done
out="${OUT:-$root/out/gpu-check}"
mkdir -p "$out"
log="$out/gpu-check.log"
: >"$log"
declare -a rows=()
status=0
row() { rows+=("| $1 | $2 | $3 |"); [ "$2" = ok ] || [ "$2" = skipped ] || status=1; }
say() { echo "gpu-check: $*" | tee -a "$log" >&2; }
t0=$(date +%s)
# The whole check must end inside one device-tool call (10 minutes): every stage gets at most the
# time left of GPU_CHECK_BUDGET seconds (default 560), so the summary always prints.
budget=${GPU_CHECK_BUDGET:-560}
# Runs a stage with a time limit, its output appended to the log; returns its exit status (124
# when it ran out of time or none was left).
stage() {
  local limit=$1
  shift
  local left=$((budget - ($(date +%s) - t0)))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -le 5 ]; then
    say "no time left for: $*"
    return 124
  fi
  say "$*"
  timeout "$limit" "$@" >>"$log" 2>&1
}
elapsed() { echo "$(($(date +%s) - t0)) s"; }

# ---- the machine ----
gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null |
      head -1)
[ -n "$gpu" ] || gpu="none visible to nvidia-smi"
say "GPU: $gpu; nvcc: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo missing)"

# ---- dependencies ----
# Warnings stay warnings here: another compiler version must not block a GPU verification (CI
# builds with -Werror).
# libmatio (SVHN's .mat conversion, a CPU-only preparation step) is not vendored: its Debian
# build drags in HDF5 and a dozen more libraries, and nothing on the GPU needs it.
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DDEEPOBS_CUDA=ON -DDEEPOBS_WERROR=OFF
            -DDEEPOBS_BUILD_BENCH=OFF -DDEEPOBS_MATIO=OFF)
prefix_path=""
if [ -d "$root/.deps" ]; then
  prefix_path="$root/.deps"
  if [ "$do_build" = 1 ] && [ ! -f "$root/.deps-gtest/lib/cmake/GTest/GTestConfig.cmake" ] &&
     [ -d "$root/.deps/src/googletest" ]; then
    stage 180 cmake -S "$root/.deps/src/googletest" -B "$root/.deps-gtest-build" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$root/.deps-gtest" -DBUILD_GMOCK=OFF &&
      stage 180 ninja -C "$root/.deps-gtest-build" install
    [ $? -eq 0 ] && row "GoogleTest from .deps" ok "$(elapsed)" || row "GoogleTest from .deps" FAILED "see gpu-check.log"
  fi
  prefix_path="$prefix_path;$root/.deps-gtest"
  cmake_args+=(-DCMAKE_PREFIX_PATH="$prefix_path" -DZLIB_USE_STATIC_LIBS=ON)
fi
# cuDNN: the toolkit's or the system's when both header and library are there, else the
# nvidia-cudnn wheel that PyTorch brings (its library folder then goes on LD_LIBRARY_PATH).
cudnn_inc="" cudnn_lib=""
for d in /usr/local/cuda/include /usr/include /usr/include/x86_64-linux-gnu; do
  [ -f "$d/cudnn.h" ] && { cudnn_inc=$d; break; }
done
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
  l=$(ls "$d"/libcudnn.so* 2>/dev/null | head -1)
  [ -n "$l" ] && { cudnn_lib=$l; break; }
done
if [ -z "$cudnn_inc" ] || [ -z "$cudnn_lib" ]; then
  wheel=$(python3 -c 'import nvidia.cudnn as c; print(list(c.__path__)[0])' 2>/dev/null)
  if [ -n "$wheel" ] && [ -f "$wheel/include/cudnn.h" ]; then
    cudnn_inc="$wheel/include"
    cudnn_lib=$(ls "$wheel"/lib/libcudnn.so* 2>/dev/null | head -1)
    export LD_LIBRARY_PATH="$wheel/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
fi
[ -n "$cudnn_inc" ] && cmake_args+=(-DCUDNN_INCLUDE_DIR="$cudnn_inc")
[ -n "$cudnn_lib" ] && cmake_args+=(-DCUDNN_LIBRARY="$cudnn_lib")
say "cuDNN headers: ${cudnn_inc:-not found}${cudnn_lib:+, library $cudnn_lib}"

# ---- build ----
if [ "$do_build" = 1 ]; then
  if stage 120 cmake -S "$root" -B "$build" "${cmake_args[@]}"; then
    row configure ok "$(elapsed)"
    # The CPU test binary (for the device-policy tests) is built last, when time is left.
    if stage 420 ninja -C "$build" -j "$jobs" deepobs deepobs_gpu_tests bench_gpu_steps \
         bench_gpu_image_batch; then
      row build ok "$(elapsed)"
    else
      row build FAILED "see gpu-check.log ($(grep -c 'FAILED:' "$log") failed edges)"
    fi
  else
    row configure FAILED "see gpu-check.log"
  fi
else
  row build skipped "using $build"
fi

# ---- tests ----
data="$root/out/gpu-check-data"  # random MNIST-format files and the smoke run's result
if [ -x "$build/tests/deepobs_gpu_tests" ]; then
  stage 300 "$build/tests/deepobs_gpu_tests" --gtest_output="xml:$out/gpu_tests.xml"
  rc=$?
  counts=$(python3 - "$out/gpu_tests.xml" <<'PY' 2>/dev/null
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
skipped = sum(1 for c in r.iter("testcase") if c.find("skipped") is not None)
print(f"{r.get('tests')} tests, {r.get('failures')} failed, {skipped} skipped")
PY
)
  if [ $rc -ne 0 ]; then
    row "gpu tests" FAILED "${counts:-exit $rc}"
  elif [ "$gpu" != "none visible to nvidia-smi" ] && [[ "$counts" != *" 0 skipped"* ]]; then
    row "gpu tests" FAILED "$counts: a test skipped although nvidia-smi sees a GPU"
  else
    row "gpu tests" ok "${counts:-?}"
  fi
else
  row "gpu tests" FAILED "no test binary in $build/tests"
fi
if [ -x "$build/deepobs" ]; then
  stage 30 "$build/deepobs" info && row "deepobs info" ok "" || row "deepobs info" FAILED ""
  tail -3 "$log" >&2
  rm -rf "$data/results"
  mkdir -p "$data"
  stage 60 python3 "$root/tools/bench/pytorch_reference.py" --make-fake-data "$data"
  if stage 120 "$build/deepobs" run fmnist_2c2d --optimizer momentum --momentum 0.9 --lr 0.01 \
       -N 1 --device cuda --deterministic --data_dir "$data" --output_dir "$data/results"; then
    json=$(find "$data/results" -name '*.json' | head -1)
    fields=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["device"], d["device_info"].get("gpu",{}).get("name"), d["policies"], len(d["conv_algorithms"]), "conv plans,", d["device_memory"]["peak_bytes"]>>20, "MiB peak")' "$json" 2>&1)
    row "deepobs run fmnist_2c2d --device cuda (1 epoch, random data)" ok "$fields"
  else
    row "deepobs run fmnist_2c2d --device cuda" FAILED "see gpu-check.log"
  fi
  # The op profiler on the GPU: CUDA-event times, CUPTI's kernels, a Chrome trace (issue 17).
  if stage 120 "$build/deepobs" profile fmnist_2c2d --device cuda --steps 5 --warmup 3 \
       --data_dir "$data" --json "$out/profile_fmnist_2c2d.json" \
       --trace "$out/profile_fmnist_2c2d.trace.json"; then
    fields=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.3f ms/step," % (d["step_seconds"]*1e3), d["launches_per_step"], "launches/step,", len(d["kernels"]), "kernels", d.get("kernel_note", ""))' "$out/profile_fmnist_2c2d.json" 2>&1)
    row "deepobs profile fmnist_2c2d --device cuda" ok "$fields"
  else
    row "deepobs profile fmnist_2c2d --device cuda" FAILED "see gpu-check.log"
  fi
  # The CUDA-graph step (docs/PERFORMANCE.md, "CUDA-graph training step"): the same run eager and
  # replayed; deterministic, so the mini-batch losses must agree to the last bit.
  for graph_mode in off auto; do
    stage 120 "$build/deepobs" run fmnist_2c2d --optimizer momentum --momentum 0.9 --lr 0.01 \
      -N 1 --device cuda --deterministic --cuda_graph "$graph_mode" --train_log_interval 1 \
      --data_dir "$data" --output_dir "$data/results_graph_$graph_mode" || true
  done
  graph_fields=$(python3 - "$data" <<'PY' 2>&1
import glob, json, sys
runs = {m: json.load(open(glob.glob(f"{sys.argv[1]}/results_graph_{m}/**/*.json", recursive=True)[0]))
        for m in ("off", "auto")}
g = runs["auto"]["cuda_graph"]
print(f"graph {'on' if g['enabled'] else 'off: ' + g['reason']}, {g['nodes_per_step']} nodes/step;",
      " ".join(f"{m}: median step {1e3 * r['step_time_seconds']['median']:.3f} ms" for m, r in runs.items()) + ";",
      "losses identical" if runs["off"]["minibatch_train_losses"] == runs["auto"]["minibatch_train_losses"]
      else "LOSSES DIFFER")
PY
)
  if [[ "$graph_fields" == *"graph on"*"losses identical"* ]]; then
    row "fmnist_2c2d --cuda_graph off vs auto" ok "$graph_fields"
  else
    row "fmnist_2c2d --cuda_graph off vs auto" FAILED "${graph_fields:-no result files}"
  fi
fi

# ---- benchmark ----
if [ "$do_bench" = 1 ] && [ -x "$build/tools/bench/gpu/bench_gpu_steps" ]; then
  if stage 240 "$build/tools/bench/gpu/bench_gpu_steps" --data_dir "$data" \
       --json "$out/deepobs_bench.json"; then
    row "bench deepobs-cpp" ok "$(elapsed)"
  else
    row "bench deepobs-cpp" FAILED "see gpu-check.log"
  fi
  if PYTHONUNBUFFERED=1 stage 300 python3 "$root/tools/bench/pytorch_reference.py" \
       --data_dir "$data" --json "$out/pytorch_bench.json"; then
    row "bench PyTorch" ok "$(elapsed)"
  else
    row "bench PyTorch" FAILED "see gpu-check.log"
  fi
  if [ -f "$out/deepobs_bench.json" ] && [ -f "$out/pytorch_bench.json" ]; then
    python3 "$root/tools/bench/gpu_summary.py" "$out/deepobs_bench.json" \
      "$out/pytorch_bench.json" >"$out/bench_table.md" 2>>"$log"
  fi
elif [ "$do_bench" = 1 ]; then
  row benchmark FAILED "no bench_gpu_steps in $build"
fi
if [ "$do_bench" = 1 ] && [ -x "$build/tools/bench/gpu/bench_gpu_image_batch" ]; then
  if stage 60 "$build/tools/bench/gpu/bench_gpu_image_batch"; then
    row "bench CIFAR/SVHN image pipeline" ok "$(tail -1 "$log")"
  else
    row "bench CIFAR/SVHN image pipeline" FAILED "see gpu-check.log"
  fi
fi

# ---- the device-policy tests of the CPU suite, on the GPU side (when time is left) ----
if [ "$do_build" = 1 ] && stage 150 ninja -C "$build" -j "$jobs" deepobs_tests; then :; fi
if [ -x "$build/tests/deepobs_tests" ]; then
  if stage 60 "$build/tests/deepobs_tests" \
       --gtest_filter='DeviceInfo.*:DeviceResolution.*:DevicePolicyTest.*:OpsBatchGather.*'; then
    row "device-policy tests (GPU side)" ok ""
  else
    row "device-policy tests (GPU side)" FAILED "see gpu-check.log"
  fi
else
  row "device-policy tests (GPU side)" skipped "deepobs_tests not built in the time budget"
fi

# ---- summary ----
{
  echo "## gpu-check on: $gpu ($(elapsed) in all)"
  echo
  echo "| stage | result | detail |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
  if [ -f "$out/gpu_tests.xml" ]; then
    python3 - "$out/gpu_tests.xml" <<'PY' 2>/dev/null
import sys, xml.etree.ElementTree as ET
bad = [f"{c.get('classname')}.{c.get('name')}" for c in ET.parse(sys.argv[1]).getroot().iter("testcase")
       if c.find("failure") is not None]
if bad:
    print("\nfailed gpu tests: " + ", ".join(bad))
PY
  fi
  if [ -f "$out/bench_table.md" ]; then
    echo
    cat "$out/bench_table.md"
  fi
} | tee "$out/summary.md"
exit $status
