#!/usr/bin/env bash
# CPU step time of tolstoi_char_rnn at batch 50 (the problem's default), on a Tolstoi-shaped
# fixture: random ids over the 83 characters written as numpy .npy files (the step time does not
# depend on the text), 130,001 training ids = 52 steps of 50×50, 25,001 test ids = 10 batches.
# Usage: tools/bench/char_rnn_epoch.sh [path of the deepobs binary] [extra `deepobs run` flags]
# Prints the result file's epoch_seconds and step_time_seconds.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-$root/build/deepobs}
shift || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data/tolstoi"
/usr/bin/python3 - "$work/data/tolstoi" <<'PY'
import sys, numpy as np
rng = np.random.RandomState(0)
for name, n in (("train", 130001), ("test", 25001)):
    ids = rng.randint(0, 83, size=n).astype(np.int64)
    ids[:83] = np.arange(83)
    np.save(f"{sys.argv[1]}/{name}.npy", ids)
PY
"$bin" run tolstoi_char_rnn --optimizer sgd --lr 1.5849 -N 1 --data_dir "$work/data" \
  --output_dir "$work/out" --device cpu "$@" >"$work/path.txt"
/usr/bin/python3 - "$(head -1 "$work/path.txt")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("epoch_seconds", r["epoch_seconds"])
print("step_time_seconds", json.dumps(r["step_time_seconds"]))
print("peak_memory_bytes", r.get("peak_memory_bytes"))
PY
