#!/usr/bin/env bash
# How much a run slows down when another process wants the CPU (issue 11: a sweep of many small
# runs side by side on a shared node). Times, each alone and then with one CPU-bound competing
# process (a shell busy loop), median of R repetitions:
#   quadratic_deep   100 epochs, Momentum 0.99, lr 2.5119e-3   (tiny ops: ~30 k steps)
#   fmnist_mlp       1 epoch,   Momentum 0.99, lr 2.5119e-3   (dense GEMMs)
#   fmnist_2c2d      1 epoch,   Momentum 0.99, lr 2.5119e-3   (convolutions)
# and prints wall seconds, CPU seconds and the loaded/alone ratio as a Markdown table.
#
#   tools/bench/contention.sh [--deepobs PATH] [--repeats R] [--only NAME] [--competitors K]
#
# PATH defaults to build/deepobs (build it first: cmake --build build --target deepobs). The runs
# write no result files (--no_logs). Run it on an otherwise idle machine.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
deepobs="$root/build/deepobs"
repeats=3
only=""
competitors=1
while [ $# -gt 0 ]; do
  case "$1" in
    --deepobs) deepobs="$2"; shift ;;
    --repeats) repeats="$2"; shift ;;
    --only) only="$2"; shift ;;
    --competitors) competitors="$2"; shift ;;
    *) echo "contention.sh: unknown option '$1' (see the comment at the top)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$deepobs" ] || { echo "contention.sh: no deepobs binary at $deepobs (build it, or pass --deepobs)" >&2; exit 1; }

common=(--optimizer MomentumOptimizer --momentum 0.99 --lr 2.5119e-3 --no_logs --device cpu)
declare -A args=(
  [quadratic_deep]="quadratic_deep --num_epochs 100"
  [fmnist_mlp]="fmnist_mlp --num_epochs 1"
  [fmnist_2c2d]="fmnist_2c2d --num_epochs 1"
)
order=(quadratic_deep fmnist_mlp fmnist_2c2d)

busy_pids=()
start_competitors() {
  for ((i = 0; i < competitors; ++i)); do
    bash -c 'while :; do :; done' &
    busy_pids+=($!)
  done
  sleep 0.5
}
stop_competitors() {
  for p in "${busy_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${busy_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  busy_pids=()
}
trap stop_competitors EXIT

# Prints "wall cpu" seconds of one run (CPU = user + system of the run, from /proc accounting).
time_once() {
  local tf
  tf=$(mktemp)
  /usr/bin/env time -f '%e %U %S' -o "$tf" "$deepobs" run $1 "${common[@]}" >/dev/null 2>&1 || {
    echo "contention.sh: '$deepobs run $1' failed" >&2; rm -f "$tf"; exit 1; }
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' "$tf"
  rm -f "$tf"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

measure() {  # name → "wall_median cpu_median"
  local walls=() cpus=() w c
  for ((r = 0; r < repeats; ++r)); do
    read -r w c < <(time_once "${args[$1]}")
    walls+=("$w"); cpus+=("$c")
  done
  echo "$(printf '%s\n' "${walls[@]}" | median) $(printf '%s\n' "${cpus[@]}" | median)"
}

command -v /usr/bin/time >/dev/null || { echo "contention.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'); deepobs: $deepobs"
echo "threads: $("$deepobs" info | sed -n 's/^CPU threads: *//p')"
echo
echo "| run | alone: wall s (CPU s) | with $competitors busy process(es): wall s (CPU s) | ratio |"
echo "|---|---:|---:|---:|"
for name in "${order[@]}"; do
  [ -z "$only" ] || [ "$only" = "$name" ] || continue
  read -r aw ac < <(measure "$name")
  start_competitors
  read -r lw lc < <(measure "$name")
  stop_competitors
  ratio=$(awk -v a="$aw" -v l="$lw" 'BEGIN {printf "%.2f", l / a}')
  echo "| $name | $aw ($ac) | $lw ($lc) | $ratio |"
done
