"""`deepobs estimate-runtime`: the runtime overhead of an optimizer relative to SGD (SPEC 5.3).

Each of num_runs rounds runs the deepobs binary twice as a child process (SGD, then the
optimizer) on the same problem, seed and epochs, and reads the run's own timing field
(total_seconds of the training loop) from the result file; the ratio optimizer/SGD is reported
as mean ± std over the rounds."""

import glob
import json
import os
import shlex
import statistics
import subprocess
import tempfile
import time

from deepobs_analyzer import AnalyzerError


def _run(cmd, outdir, log):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
        raise AnalyzerError(f"'{shlex.join(cmd)}' failed (exit {p.returncode}): "
                            f"{msg[-1] if msg else 'no output'}")
    files = glob.glob(os.path.join(outdir, "*", "*", "*", "*.json"))
    if len(files) != 1:
        raise AnalyzerError(f"'{shlex.join(cmd)}' wrote {len(files)} result files, expected 1")
    with open(files[0], encoding="utf-8") as f:
        data = json.load(f)
    seconds = data.get("total_seconds")
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        seconds = sum(data.get("epoch_seconds") or []) or wall
    return float(seconds), wall


def estimate_runtime(binary, optimizer, test_problem="mnist_mlp", num_runs=5, num_epochs=3,
                     batch_size=128, lr=1e-5, sgd_lr=None, hp=(), optimizer_args="",
                     data_dir=None, device=None, random_seed=42, log=print):
    if not binary or not os.access(binary, os.X_OK):
        raise AnalyzerError(f"deepobs binary not found ({binary!r}); set DEEPOBS_BINARY or run "
                            "through 'deepobs estimate-runtime'")
    if num_runs < 1 or num_epochs < 1:
        raise AnalyzerError("--num_runs and --num_epochs must be at least 1")
    common = ["-N", str(num_epochs), "--batch_size", str(batch_size), "--random_seed",
              str(random_seed), "-q"]
    if data_dir:
        common += ["--data_dir", data_dir]
    if device:
        common += ["--device", device]
    extra = [a for h in hp for a in ("--hp", h)] + shlex.split(optimizer_args or "")
    sgd_t, opt_t, ratios = [], [], []
    with tempfile.TemporaryDirectory(prefix="deepobs-runtime-") as tmp:
        for i in range(num_runs):
            out_sgd = os.path.join(tmp, f"sgd{i}")
            out_opt = os.path.join(tmp, f"opt{i}")
            s, _ = _run([binary, "run", test_problem, "--optimizer", "sgd", "--lr", repr(lr if sgd_lr is None else sgd_lr),
                         "--output_dir", out_sgd, *common], out_sgd, log)
            o, _ = _run([binary, "run", test_problem, "--optimizer", optimizer, "--lr", repr(lr),
                         "--output_dir", out_opt, *common, *extra], out_opt, log)
            sgd_t.append(s)
            opt_t.append(o)
            ratios.append(o / s)
            log(f"run {i + 1}/{num_runs}: SGD {s:.4f} s, {optimizer} {o:.4f} s, ratio {o / s:.4f}")
    mean = statistics.fmean(ratios)
    std = statistics.pstdev(ratios)
    result = {"test_problem": test_problem, "optimizer": optimizer, "num_runs": num_runs,
              "num_epochs": num_epochs, "batch_size": batch_size,
              "sgd_seconds": sgd_t, "optimizer_seconds": opt_t, "ratios": ratios,
              "mean_sgd_seconds": statistics.fmean(sgd_t),
              "mean_optimizer_seconds": statistics.fmean(opt_t),
              "ratio_mean": mean, "ratio_std": std}
    log(f"** Mean run time SGD: {result['mean_sgd_seconds']:.4f} s")
    log(f"** Mean run time {optimizer}: {result['mean_optimizer_seconds']:.4f} s")
    log(f"** Overhead per iteration new optimizer: {mean:.4f} ± {std:.4f} "
        f"(ratio of training time to SGD over {num_runs} runs of {num_epochs} epochs on "
        f"{test_problem})")
    return result
