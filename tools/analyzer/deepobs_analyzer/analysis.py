"""Aggregation over seeds, ranking of settings, speed (SPEC 7.1, 7.2)."""

import math

import numpy as np

from deepobs_analyzer.naming import canonical_optimizer

MODES = ("final", "best", "most")
METRICS = ("test_accuracies", "valid_accuracies", "train_accuracies",
           "test_losses", "valid_losses", "train_losses")

# The data a baseline problem was trained on (SPEC A.4): the variant our runner records
# must match, else the comparison is flagged (DeepOBS issue #27).
BASELINE_DATA = {"quadratic_deep": "quadratic", "mnist_vae": "mnist", "fmnist_2c2d": "fmnist",
                 "cifar10_3c3d": "cifar10", "fmnist_vae": "fmnist", "cifar100_allcnnc": "cifar100",
                 "svhn_wrn164": "svhn", "tolstoi_char_rnn": "tolstoi"}


def higher_is_better(metric):
    return "acc" in metric


class Aggregate:
    """Element-wise statistics over the seeds of one setting for one curve."""

    def __init__(self, curves):
        a = np.asarray(curves, dtype=float)  # seeds x (num_epochs + 1)
        self.values = a
        self.mean = a.mean(axis=0)
        self.std = a.std(axis=0)  # population std, as DeepOBS
        self.median = np.median(a, axis=0)
        self.lower_quartile = np.quantile(a, 0.25, axis=0)
        self.upper_quartile = np.quantile(a, 0.75, axis=0)
        self.all_final_values = a[:, -1]


def aggregate(setting, key):
    if not all(key in r.curves for r in setting.runs):
        return None
    cache = setting.__dict__.setdefault("_agg", {})
    if key not in cache:
        cache[key] = Aggregate([r.curves[key] for r in setting.runs])
    return cache[key]


def has_curve(opt, key):
    return all(key in r.curves for s in opt.settings.values() for r in s.runs)


def resolve_metric(opt, metric):
    """The selection metric, with DeepOBS 1.2's fallbacks (…_accuracies → valid_losses →
    test_losses); None = DeepOBS 1.1's rule (test accuracy if the problem has one)."""
    if metric is None:
        metric = "test_accuracies"
    for m in (metric, metric.replace("accuracies", "losses"), "valid_losses", "test_losses"):
        if has_curve(opt, m):
            return m
    return "test_losses"


def performance_metric(opt):
    return "test_accuracies" if has_curve(opt, "test_accuracies") else "test_losses"


def _nan_worst(value, hib):
    if value is None or math.isnan(value):
        return -math.inf if hib else math.inf
    return value


def final_value(setting, metric):
    return float(aggregate(setting, metric).mean[-1])


def best_value(setting, metric):
    m = aggregate(setting, metric).mean
    if np.all(np.isnan(m)):
        return float("nan")
    return float(np.nanmax(m) if higher_is_better(metric) else np.nanmin(m))


def rank_settings(opt, mode, metric):
    """Settings best first. final/best: by the mean-over-seeds final / best value; most: by the
    number of seeds, falling back to final when every setting has the same count (DeepOBS 1.2)
    and breaking ties by the final value."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    hib = higher_is_better(metric)
    sign = -1.0 if hib else 1.0
    settings = list(opt.settings.values())

    def by_final(s):
        return sign * _nan_worst(final_value(s, metric), hib)

    def by_best(s):
        return sign * _nan_worst(best_value(s, metric), hib)

    if mode == "final":
        return sorted(settings, key=by_final)
    if mode == "best":
        return sorted(settings, key=by_best)
    return sorted(settings, key=lambda s: (-s.num_seeds, by_final(s)))


def speed_of_run(curve, conv_perf, hib):
    for i, v in enumerate(curve):
        if (v >= conv_perf) if hib else (v <= conv_perf):
            return i
    return len(curve)


def speed(setting, metric, conv_perf):
    """Mean over runs of the first epoch index reaching conv_perf, else the curve length."""
    if conv_perf is None:
        return None
    hib = higher_is_better(metric)
    return float(np.mean([speed_of_run(r.curves[metric], conv_perf, hib) for r in setting.runs]))


def _clean(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def _clean_list(a):
    return [_clean(v) for v in a]


def summarize_optimizer(opt, mode, metric, conv_perf):
    """The machine-readable summary of one optimizer on one problem."""
    sel = resolve_metric(opt, metric)
    perf = performance_metric(opt)
    ranking = rank_settings(opt, mode, sel)
    top = ranking[0]
    agg = aggregate(top, perf)
    if mode == "best":
        m = agg.mean
        idx = (int(np.nanargmax(m)) if higher_is_better(perf) else int(np.nanargmin(m))) \
            if not np.all(np.isnan(m)) else len(m) - 1
    else:
        idx = len(agg.mean) - 1
    seeds_vals = agg.values[:, idx]
    run0 = top.first
    performance = {
        "metric": perf, "epoch": idx,
        "mean": _clean(agg.mean[idx]), "std": _clean(agg.std[idx]),
        "median": _clean(agg.median[idx]), "lower_quartile": _clean(agg.lower_quartile[idx]),
        "upper_quartile": _clean(agg.upper_quartile[idx]),
        "all_seeds": _clean_list(seeds_vals),
        "seeds": [r.random_seed for r in top.runs],
    }
    extra = {}
    for key in ("test_losses", "train_losses", "test_accuracies", "train_accuracies"):
        a = aggregate(top, key)
        if a is not None:
            extra[key] = {"mean": _clean(a.mean[idx]), "std": _clean(a.std[idx])}
    sp = speed(top, perf, conv_perf)
    return {
        "optimizer": opt.name,
        "canonical_name": opt.canonical,
        "baseline": opt.baseline,
        "source": opt.path,
        "selection": {"mode": mode, "metric": sel},
        "setting": top.name,
        "learning_rate": run0.learning_rate,
        "hyperparameters": run0.all_hyperparams,
        "training_parameters": run0.training_params,
        "batch_size": run0.batch_size,
        "num_epochs": run0.num_epochs,
        "weight_decay": run0.weight_decay,
        "performance": performance,
        "final_metrics": extra,
        "speed": None if sp is None else round(sp, 6),
        "conv_perf": conv_perf,
        "num_settings": opt.num_settings,
        "num_seeds": top.num_seeds,
        "num_runs": opt.num_runs,
        "data_variant": run0.data_variant,
        "diverged_runs": sum(r.diverged for s in opt.settings.values() for r in s.runs),
        "flags": [],
    }


def parse_data_variant(variant):
    """Splits a data_variant ("<data set>[:<quirk>...][:key=value...]", e.g.
    "cifar100:legacy-offset:data_order=tf1") into (data set, [quirks], {key: value})."""
    base, *tokens = str(variant).split(":")
    quirks = [t for t in tokens if "=" not in t]
    settings = dict(t.split("=", 1) for t in tokens if "=" in t)
    return base, quirks, settings


def variant_matches_baseline(problem, variant):
    """True when a run's data_variant is the data the baselines were trained on (SPEC A.4, A.5):
    the same data set, DeepOBS 1.1's quirks, and TF1's data order (files without a data_order,
    DeepOBS's own included, are taken to be tf1)."""
    if variant is None or problem not in BASELINE_DATA:
        return True  # DeepOBS's own files record no variant
    base, quirks, settings = parse_data_variant(variant)
    if base != BASELINE_DATA[problem]:
        return False
    if settings.get("data_order", "tf1") != "tf1":
        return False
    # The runner records the image data choices as keys (SPEC A.4): cifar100 offset=legacy|fixed,
    # svhn train=64000|full; DeepOBS 1.1's are legacy and 64000.
    if settings.get("offset", "legacy") != "legacy" or settings.get("train", "64000") != "64000":
        return False
    s = ":".join(quirks).lower()
    if problem == "cifar100_allcnnc":
        return s == "" or "legacy" in s
    return not any(w in s for w in ("fixed", "full", "73257"))


def comparability_flags(opt, entry, baseline_entry):
    """Why a user's run is not directly comparable with the baseline (DeepOBS issue #27)."""
    flags = []
    problem = opt.problem
    variants = sorted({str(r.data_variant) for s in opt.settings.values() for r in s.runs
                       if r.data_variant is not None})
    bad = [v for v in variants if not variant_matches_baseline(problem, v)]
    if bad:
        flags.append(f"data_variant {', '.join(bad)} differs from the baselines' data "
                     f"({BASELINE_DATA.get(problem)}, DeepOBS 1.1 defaults); not comparable")
    if any(not r.valid_is_test for s in opt.settings.values() for r in s.runs):
        flags.append("trained with a validation split (DeepOBS 1.2): the training set is smaller "
                     "than the baselines'")
    if baseline_entry is not None:
        for key in ("batch_size", "num_epochs"):
            if entry[key] != baseline_entry[key]:
                flags.append(f"{key} {entry[key]} differs from the baselines' "
                             f"{baseline_entry[key]}")
        if entry["weight_decay"] is not None and baseline_entry["weight_decay"] is None:
            flags.append(f"weight_decay {entry['weight_decay']} set explicitly; the baselines "
                         "used the problem default")
        if opt.canonical == baseline_entry["canonical_name"]:
            mine = {k: v for k, v in entry["hyperparameters"].items() if k != "learning_rate"}
            theirs = {k: v for k, v in baseline_entry["hyperparameters"].items()
                      if k != "learning_rate"}
            if mine != theirs:
                flags.append(f"hyperparameters {mine} differ from the baseline protocol {theirs}")
    if entry["diverged_runs"]:
        flags.append(f"{entry['diverged_runs']} run(s) diverged")
    return flags
