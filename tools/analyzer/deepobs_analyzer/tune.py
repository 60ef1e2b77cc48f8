"""The Python half of `deepobs tune` (runner/tune_command.cpp): which of a tune's settings the
analyzer's rule picks (analysis.rank_settings, mode final or best, DeepOBS 1.1's metric unless
one is given)."""

import json
import math
import warnings

from deepobs_analyzer import AnalyzerError


def select_setting(results_dir, problem, optimizer, settings, seeds, mode, metric=None):
    """The best of `settings` (setting folder names of <results_dir>/<problem>/<optimizer>/),
    judged on the runs of `seeds` only: the reruns of the chosen setting must not change the pick
    when the tune is issued again."""
    from deepobs_analyzer import analysis, loading
    warnings.simplefilter("ignore", RuntimeWarning)  # NaN curves of diverged settings
    tree = loading.load_tree(results_dir, only=[problem])
    opt = tree[problem].optimizers.get(optimizer) if problem in tree else None
    if opt is None:
        raise AnalyzerError(f"{results_dir}/{problem}/{optimizer}: no result files")
    chosen = loading.OptimizerResults(opt.name, opt.path, problem, False)
    for name in settings:
        s = opt.settings.get(name)
        runs = [r for r in s.runs if r.random_seed in seeds] if s else []
        if not runs:
            raise AnalyzerError(f"{opt.path}/{name}: no result file for seed(s) "
                                f"{', '.join(map(str, seeds))}; run the tune to the end first")
        kept = loading.Setting(name, s.path)
        kept.runs = runs
        chosen.settings[name] = kept
    if metric and metric not in analysis.METRICS:
        raise AnalyzerError(f"--metric must be one of {', '.join(analysis.METRICS)}")
    metric = analysis.resolve_metric(chosen, metric or None)
    value = analysis.best_value if mode == "best" else analysis.final_value
    ranking = analysis.rank_settings(chosen, mode, metric)

    def clean(x):
        return x if math.isfinite(x) else None

    return {"problem": problem, "optimizer": optimizer, "mode": mode, "metric": metric,
            "seeds": list(seeds), "setting": ranking[0].name,
            "value": clean(value(ranking[0], metric)),
            "ranking": [{"setting": s.name, "value": clean(value(s, metric))} for s in ranking]}


def write_selection(results_dir, problem, optimizer, settings_file, seeds, mode, metric, out_path):
    with open(settings_file, "r", encoding="utf-8") as f:
        settings = [line.strip() for line in f if line.strip()]
    seeds = [int(s) for s in seeds.split(",") if s]
    sel = select_setting(results_dir, problem, optimizer, settings, seeds, mode, metric)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(sel, f, indent=1, allow_nan=False)
