#!/usr/bin/env bash
# fmnist_2c2d training on the CPU, deepobs-cpp against PyTorch, side by side in one run: prints a
# table of median step time and epoch time per engine and their ratio (deepobs-cpp / PyTorch).
#
#   tools/bench/cpu_vs_pytorch.sh [--build DIR] [--python PY] [--rounds 3] [--threads 2]
#                                 [--epochs 1] [--epoch_steps 0] [--baseline BIN] [--out DIR]
#
# --build DIR    a CPU build of deepobs-cpp with tools/bench built (default build-cpu/)
# --python PY    a Python with torch installed, outside the repository (default
#                /work/venv-torch/bin/python; e.g. python3 -m venv V && V/bin/pip install torch)
# --rounds R     R rounds, each deepobs-cpp then PyTorch (interleaved, so that a change in the
#                machine's load hits both engines alike); medians over all rounds
# --threads T    threads of both engines (DEEPOBS_NUM_THREADS, torch.set_num_threads)
# --epochs E     full training epochs timed per engine and round (after 5 warm-up steps)
# --epoch_steps N  end each timed epoch after N steps (0: the whole epoch, 468 steps); a quick
#                check on a busy machine, where "epoch" is then the time of N steps
# --baseline BIN another bench_problem_step (e.g. built from an older commit), run in each round as
#                a third engine "deepobs-cpp baseline": before/after in the same run
# --out DIR      where the per-run JSON files go (default a temporary folder, kept and named)
#
# Data: real Fashion-MNIST from $DEEPOBS_DATA_DIR/fmnist, data_deepobs/fmnist or the Debian
# package's /usr/share/datasets/fashion-mnist, whichever is found first; else random IDX files in
# the official sizes (the time per step does not depend on the pixels).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$root/build-cpu"
python=/work/venv-torch/bin/python
rounds=3
threads=2
epochs=1
epoch_steps=0
baseline=""
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --epoch_steps) epoch_steps="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "cpu_vs_pytorch.sh: unknown flag $1 (--build, --python, --rounds, --threads, --epochs, --epoch_steps, --baseline, --out)" >&2
       exit 2 ;;
  esac
done
bench="$build/tools/bench/bench_problem_step"
[[ -z "$baseline" || -x "$baseline" ]] || { echo "cpu_vs_pytorch.sh: --baseline $baseline is not an executable" >&2; exit 1; }
[[ -x "$bench" ]] || { echo "cpu_vs_pytorch.sh: no $bench; build it: cmake --build $build --target bench_problem_step" >&2; exit 1; }
"$python" -c 'import torch' 2>/dev/null || {
  echo "cpu_vs_pytorch.sh: $python cannot import torch; pass --python of a venv with torch (pip install torch)" >&2; exit 1; }
out="${out:-$(mktemp -d /tmp/cpu_vs_pytorch.XXXXXX)}"
mkdir -p "$out"

# An MNIST-format folder for both engines: deepobs-cpp reads DATA/fmnist, PyTorch reads it directly.
data="$out/data"
mkdir -p "$data"
source=""
for candidate in "${DEEPOBS_DATA_DIR:-}/fmnist" "$root/data_deepobs/fmnist" /usr/share/datasets/fashion-mnist; do
  if [[ -e "$candidate/train-images-idx3-ubyte" || -e "$candidate/train-images-idx3-ubyte.gz" ]]; then
    source="$candidate"; break
  fi
done
if [[ -n "$source" ]]; then
  ln -sfn "$(cd "$source" && pwd)" "$data/fmnist"
  data_kind="Fashion-MNIST from $source"
else
  "$python" "$root/tools/bench/pytorch_reference.py" --make-fake-data "$data" >/dev/null
  data_kind="random IDX files (no Fashion-MNIST found)"
fi

run_ours() {  # BINARY OUTPUT
  DEEPOBS_NUM_THREADS="$threads" "$1" --problem fmnist_2c2d --data_dir "$data" --batch_size 128 \
    --warmup 5 --epochs "$epochs" --epoch_steps "$epoch_steps" > "$2"
}
for r in $(seq 1 "$rounds"); do
  [[ -z "$baseline" ]] || run_ours "$baseline" "$out/baseline_$r.json"
  run_ours "$bench" "$out/deepobs_$r.json"
  "$python" "$root/tools/bench/pytorch_fmnist_cpu.py" --data_dir "$data/fmnist" \
    --threads "$threads" --warmup 5 --epochs "$epochs" --steps "$epoch_steps" > "$out/pytorch_$r.json"
  echo "round $r of $rounds done" >&2
done

"$python" - "$out" "$rounds" "$threads" "$data_kind" <<'EOF'
import json, os, statistics, sys, platform
out, rounds, threads, data_kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def load(engine):
    runs = [json.load(open(f"{out}/{engine}_{r}.json")) for r in range(1, rounds + 1)]
    steps = [r["step_ms_median"] for r in runs]
    epochs = [e for r in runs for e in r["epoch_s"]]
    return statistics.median(steps), statistics.median(epochs), steps, epochs, runs[0]
ours, theirs = load("deepobs"), load("pytorch")
base = load("baseline") if os.path.exists(f"{out}/baseline_1.json") else None
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"fmnist_2c2d, batch 128, momentum SGD, {threads} threads, {rounds} interleaved rounds; {data_kind}")
print(f"CPU: {model}; torch {theirs[4]['torch_version']}; JSON in {out}")
print()
print("| engine | median step (ms) | epoch (s) | steps/epoch | per-round step medians (ms) |")
print("|---|---|---|---|---|")
rows = ([("deepobs-cpp baseline", base)] if base else []) + [("deepobs-cpp", ours), ("PyTorch", theirs)]
for name, r in rows:
    print(f"| {name} | {r[0]:.1f} | {r[1]:.2f} | {r[4]['steps_per_epoch']} | {', '.join(f'{s:.1f}' for s in r[2])} |")
if base:
    print(f"| ratio baseline / PyTorch | {base[0] / theirs[0]:.2f}x | {base[1] / theirs[1]:.2f}x | | |")
print(f"| ratio deepobs-cpp / PyTorch | {ours[0] / theirs[0]:.2f}x | {ours[1] / theirs[1]:.2f}x | | |")
EOF
