"""The Python half of `deepobs reproduce` (runner/reproduce_command.cpp runs the rest in C++).

reproduce-select: which baseline setting the analyzer picks for a problem and optimizer (mode
    `most`, DeepOBS 1.1's metric), with its hyperparameters and every seed's curves, as JSON.
reproduce-figure: our seed band over the baselines', one row per optimizer and one column per
    compared curve, from the summary JSON `deepobs reproduce` writes.
"""

import json
import math
import os
import warnings

from deepobs_analyzer import AnalyzerError

COMPARED_CURVES = ["train_losses", "test_losses", "train_accuracies", "test_accuracies"]


def _finite_or_none(values):
    return [v if isinstance(v, (int, float)) and math.isfinite(v) else None for v in values]


def select_settings(baselines_dir, problem, optimizers, mode="most"):
    """{optimizer: the chosen setting} for each canonical optimizer name in `optimizers`.

    Raises AnalyzerError naming the folder or file for a missing problem or optimizer and for any
    malformed baseline file (unequal curve lengths, a different num_epochs within a setting...)."""
    from deepobs_analyzer import analysis, loading
    warnings.simplefilter("ignore", RuntimeWarning)  # NaN curves of diverged baseline settings
    if not os.path.isdir(baselines_dir):
        raise AnalyzerError(f"{baselines_dir}: no such baselines folder")
    tree = loading.load_tree(baselines_dir, baseline=True, only=[problem])
    if problem not in tree:
        raise AnalyzerError(f"{os.path.join(baselines_dir, problem)}: no baseline result files")
    prob = tree[problem]
    out = {}
    for name in optimizers:
        opt = prob.optimizers.get(name)
        if opt is None:
            have = ", ".join(sorted(prob.optimizers)) or "none"
            raise AnalyzerError(f"{os.path.join(baselines_dir, problem)}: no {name} baselines "
                                f"(there are: {have})")
        metric = analysis.resolve_metric(opt, None)
        setting = analysis.rank_settings(opt, mode, metric)[0]
        first = setting.first
        lengths = {len(r.curves[k]) for r in setting.runs for k in COMPARED_CURVES
                   if k in r.curves}
        if len(lengths) != 1:
            raise AnalyzerError(f"{setting.path}: the seeds' curves have unequal lengths "
                                f"({', '.join(map(str, sorted(lengths)))})")
        runs = []
        for r in sorted(setting.runs, key=lambda r: (r.random_seed is None, r.random_seed)):
            runs.append({"seed": r.random_seed, "path": r.path,
                         "curves": {k: _finite_or_none(r.curves[k]) for k in COMPARED_CURVES
                                    if k in r.curves}})
        seeds = [r["seed"] for r in runs]
        if len(set(seeds)) != len(seeds):
            raise AnalyzerError(f"{setting.path}: a seed appears more than once ({seeds})")
        out[name] = {
            "optimizer": name,
            "setting": setting.name,
            "path": setting.path,
            "selection": {"mode": mode, "metric": metric},
            "num_settings": opt.num_settings,
            "learning_rate": first.learning_rate,
            "hyperparameters": first.hyperparams,
            "training_params": first.training_params,
            "batch_size": first.batch_size,
            "num_epochs": first.num_epochs,
            "weight_decay": first.weight_decay,
            "runs": runs,
        }
    return out


def write_selection(baselines_dir, problem, optimizers, out_path, mode="most"):
    sel = select_settings(baselines_dir, problem, optimizers, mode)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"problem": problem, "baselines": baselines_dir, "optimizers": sel}, f,
                  allow_nan=False)


_TITLES = {"train_losses": "train_eval loss", "test_losses": "test loss",
           "train_accuracies": "train_eval accuracy", "test_accuracies": "test accuracy"}


def write_figure(summary_path, out_path):
    """Our mean ± std band over the baselines' per optimizer and curve; checked epochs with a
    significant deviation are marked with a red cross."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with open(summary_path, "r", encoding="utf-8") as f:
        summary = json.load(f)
    opts = summary["optimizers"]
    if not opts:
        raise AnalyzerError(f"{summary_path}: no optimizers to draw")
    curves = [k for k in COMPARED_CURVES if k in opts[0]["curves"]]
    last = len(opts[0]["curves"][curves[0]]["ours"]["mean"]) - 1
    first = max(1, round(0.05 * last))  # the y axes show epochs first..last
    fig, axes = plt.subplots(len(opts), len(curves), squeeze=False,
                             figsize=(3.4 * len(curves), 2.6 * len(opts)))
    for row, o in enumerate(opts):
        for col, key in enumerate(curves):
            ax = axes[row][col]
            c = o["curves"][key]
            lows, highs = [], []
            for side, color, lw, label in (("baselines", "#8c8c8c", 3.0, "baselines (DeepOBS 1.1)"),
                                           ("ours", "#1f77b4", 1.2, "deepobs-cpp")):
                mean = [math.nan if v is None else v for v in c[side]["mean"]]
                std = [math.nan if v is None else v for v in c[side]["std"]]
                x = list(range(len(mean)))
                lo = [m - s for m, s in zip(mean, std)]
                hi = [m + s for m, s in zip(mean, std)]
                ax.plot(x, mean, color=color, lw=lw, alpha=0.8, label=label)
                ax.fill_between(x, lo, hi, color=color, alpha=0.25, lw=0)
                lows += [v for v in lo[first:] if math.isfinite(v)]
                highs += [v for v in hi[first:] if math.isfinite(v)]
            # Zoom past the first epochs (epoch 0 alone for short runs): the curves fall there by
            # far more than the seed spread that matters here; the table has those epochs.
            if lows and highs and last > 1:
                lo, hi = min(lows), max(highs)
                pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi), 1e-12) * 1e-3
                ax.set_ylim(lo - pad, hi + pad)
            bad = [ch for ch in o["checks"] if ch["curve"] == key and ch["significant"]]
            if bad:
                ax.plot([ch["epoch"] for ch in bad], [ch["ours_mean"] for ch in bad], "x",
                        color="#d62728", ms=7, mew=2, label="significant deviation")
            if row == 0:
                ax.set_title(_TITLES.get(key, key))
            if col == 0:
                ax.set_ylabel(o["optimizer"].replace("Optimizer", ""))
            if row == len(opts) - 1:
                ax.set_xlabel("epoch")
            if row == 0 and col == 0:
                ax.legend(loc="best", fontsize=7)
    fig.suptitle(f"{summary['problem']}: deepobs-cpp (seeds {summary['seeds_label']}, "
                 f"data_order {summary['data_order']}) over the DeepOBS baselines\n"
                 f"mean ± sample std; y axes zoomed to epochs {first}-{last} (the table has "
                 "every checked epoch)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out_path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return out_path
