#!/usr/bin/env python3
"""Prints the GPU benchmark table of docs/PERFORMANCE.md from the two JSON files of one run:

  gpu_summary.py deepobs_bench.json pytorch_bench.json

Ratios are PyTorch time / deepobs-cpp time: above 1 means deepobs-cpp is faster."""
import json
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    ours = json.load(open(sys.argv[1]))
    torch = json.load(open(sys.argv[2]))
    variants = [v for v in ("gpu_resident", "dataloader") if v in torch["variants"]]
    ref = {(v, r["problem"]): r for v in variants for r in torch["variants"][v]}
    print(f"GPU: {ours.get('gpu', '?')} (PyTorch saw: {torch.get('gpu', '?')}); "
          f"{torch.get('engine', 'pytorch')}, cuDNN {torch.get('cudnn', '?')}; strict FP32; "
          f"{ours.get('warmup_steps')} warm-up steps, median of {ours.get('timed_steps')} steps")
    print()
    head = ["problem", "batch", "deepobs step ms", "deepobs epoch s"]
    for v in variants:
        head += [f"torch {v} step ms", f"ratio {v} step", f"torch {v} epoch s",
                 f"ratio {v} epoch"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in ours["results"]:
        row = [r["problem"], str(r["batch_size"]), f"{r['step_ms_median']:.3f}",
               f"{r['epoch_s']:.3f}"]
        for v in variants:
            t = ref.get((v, r["problem"]))
            if t is None or "error" in t:
                row += ["error" if t else "–"] + ["–"] * 3
                continue
            row += [f"{t['step_ms_median']:.3f}", f"{t['step_ms_median'] / r['step_ms_median']:.2f}",
                    f"{t['epoch_s']:.3f}", f"{t['epoch_s'] / r['epoch_s']:.2f}"]
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
