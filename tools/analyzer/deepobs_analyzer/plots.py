"""The figures of both DeepOBS analyzers (SPEC 7.1, 7.2), baselines in grey behind the user's."""

import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from deepobs_analyzer import analysis  # noqa: E402
from deepobs_analyzer.naming import (BENCHMARK_SETS, BENCHMARK_TITLES, LOSS_ONLY,  # noqa: E402
                                     metric_title, optimizer_display, problem_title)

ROWS = ["test_losses", "train_losses", "test_accuracies", "train_accuracies"]
_USER_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#17becf", "#bcbd22"]
_BASELINE_STYLE = {"GradientDescentOptimizer": ("#8c8c8c", "-"),
                   "MomentumOptimizer": ("#a8a8a8", "--"),
                   "AdamOptimizer": ("#6e6e6e", ":")}

plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "axes.grid": True,
                     "grid.alpha": 0.3, "legend.fontsize": 8, "figure.dpi": 100})


class Entry:
    """One optimizer as drawn: its results, its chosen setting, its style."""

    def __init__(self, opt, setting, color, linestyle, label):
        self.opt = opt
        self.setting = setting
        self.color = color
        self.linestyle = linestyle
        self.label = label
        self.baseline = opt.baseline
        self.zorder = 1 if opt.baseline else 3
        self.alpha = 0.8 if opt.baseline else 1.0


def label_of(opt):
    return optimizer_display(opt.name) + (" (baseline)" if opt.baseline else "")


class Styler:
    def __init__(self):
        self.colors = {}

    def style(self, opt):
        if opt.baseline:
            return _BASELINE_STYLE.get(opt.canonical, ("#999999", "-."))
        key = opt.canonical
        if key not in self.colors:
            self.colors[key] = _USER_COLORS[len(self.colors) % len(_USER_COLORS)]
        return self.colors[key], "-"


def entries_for(problem, ctx, mode=None):
    """Baselines first (drawn behind), then the user's optimizers."""
    out = []
    for group, is_base in ((ctx.baselines, True), (ctx.results, False)):
        if group is None or problem not in group:
            continue
        for opt in ctx.ordered_optimizers(group[problem]):
            m = "most" if is_base else (mode or ctx.mode)
            sel = analysis.resolve_metric(opt, ctx.metric)
            setting = analysis.rank_settings(opt, m, sel)[0]
            color, ls = ctx.styler.style(opt)
            out.append(Entry(opt, setting, color, ls, label_of(opt)))
    return out


def _save(fig, ctx, name):
    paths = []
    for fmt in ctx.formats:
        p = os.path.join(ctx.figure_dir, f"{name}.{fmt}")
        fig.savefig(p, bbox_inches="tight", dpi=110 if fmt == "png" else None)
        paths.append(p)
    plt.close(fig)
    ctx.figures.append({"name": name, "files": paths,
                        "png": os.path.join(ctx.figure_dir, f"{name}.png")
                        if "png" in ctx.formats else None})
    return paths


def _band(ax, e, key, which):
    agg = analysis.aggregate(e.setting, key)
    if agg is None:
        return None
    x = np.arange(len(agg.mean))
    if which == "median_and_quartiles":
        center, lo, hi = agg.median, agg.lower_quartile, agg.upper_quartile
    else:
        center, lo, hi = agg.mean, agg.mean - agg.std, agg.mean + agg.std
    ax.plot(x, center, color=e.color, linestyle=e.linestyle, lw=1.4 if not e.baseline else 1.1,
            label=e.label, zorder=e.zorder + 1, alpha=e.alpha)
    ax.fill_between(x, lo, hi, color=e.color, alpha=0.12 if e.baseline else 0.2, lw=0,
                    zorder=e.zorder)
    return center


def _robust_ylim(ax, data):
    vals = np.concatenate([np.asarray(d, float).ravel() for d in data]) if data else np.array([])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return
    lo, hi = np.percentile(vals, 20), np.percentile(vals, 80)
    lo = lo * 0.9 if lo > 0 else lo * 1.1
    hi = hi * 1.1 if hi > 0 else hi * 0.9
    vmin, vmax = vals.min(), vals.max()
    lo, hi = max(min(lo, vmin), vmin), hi
    if hi <= lo:
        hi = lo + (abs(lo) * 0.1 or 1.0)
    ax.set_ylim(lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo))


def _draw_problem_column(axes, problem, ctx, conv_perf, which, entries):
    metric = "test_losses" if problem in LOSS_ONLY or not any(
        analysis.has_curve(e.opt, "test_accuracies") for e in entries) else "test_accuracies"
    for ax, key in zip(axes, ROWS):
        drawn = [c for e in entries if (c := _band(ax, e, key, which)) is not None]
        if not drawn:
            ax.axis("off")
            continue
        if conv_perf is not None and key == metric:
            ax.axhline(conv_perf, color="#555555", lw=1.0, alpha=0.7, zorder=0)
        data = drawn + ([[conv_perf]] if conv_perf is not None and key == metric else [])
        _robust_ylim(ax, data)
        ax.set_xlabel("epoch")


def plot_benchmark_set(set_name, ctx):
    problems = BENCHMARK_SETS[set_name]
    present = [p for p in problems if p in ctx.results or (ctx.baselines and p in ctx.baselines)]
    if not present:
        return None
    fig, axes = plt.subplots(4, 4, figsize=(15, 12), squeeze=False)
    handles = {}
    for col, problem in enumerate(problems):
        axes[0, col].set_title(BENCHMARK_TITLES[problem])
        entries = entries_for(problem, ctx)
        if not entries:
            for r in range(4):
                axes[r, col].axis("off")
            axes[0, col].text(0.5, 0.5, "no results", ha="center", transform=axes[0, col].transAxes)
            continue
        _draw_problem_column(axes[:, col], problem, ctx, ctx.conv_perf.get(problem), ctx.which,
                             entries)
        for ax in axes[:, col]:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(lab, h)
    for r, key in enumerate(ROWS):
        # The leftmost drawn panel of the row carries its label (a loss-only problem in the first
        # column leaves the accuracy rows' first panels empty).
        shown = [ax for ax in axes[r, :] if ax.axison]
        if shown:
            shown[0].set_ylabel(metric_title(key))
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center",
               ncol=min(6, max(1, len(handles))), frameon=False)
    fig.suptitle(f"DeepOBS {set_name} benchmark set (mode {ctx.mode}; baselines: most runs, "
                 "±1 std; grey line: convergence performance)", y=0.995)
    fig.tight_layout(rect=(0, 0.04, 1, 0.98))
    return _save(fig, ctx, f"benchmark_{set_name}")


def plot_problem(problem, ctx):
    """DeepOBS 1.2 plot_optimizer_performance for one problem."""
    entries = entries_for(problem, ctx)
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8), squeeze=False)
    _draw_problem_column(axes[0], problem, ctx, ctx.conv_perf.get(problem), ctx.which, entries)
    for ax, key in zip(axes[0], ROWS):
        ax.set_title(metric_title(key))
    h, lab = axes[0, 0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=min(6, max(1, len(lab))), frameon=False)
    fig.suptitle(f"{problem_title(problem)} ({problem})", y=1.0)
    fig.tight_layout(rect=(0, 0.1, 1, 0.97))
    return _save(fig, ctx, f"performance_{problem}")


def _relative(values, hib):
    v = np.asarray(values, float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return np.zeros_like(v)
    if hib:
        best = finite.max()
        rel = v / best if best != 0 else np.zeros_like(v)
    else:
        best = finite.min()
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = best / v
    rel = np.where(np.isfinite(rel), rel, 0.0)
    return np.clip(rel, 0.0, 1.0)


def plot_lr_sensitivity(ctx):
    """DeepOBS 1.1 plot_lr_sensitivity: relative performance of every setting against its lr."""
    mode = "best" if ctx.mode == "best" else "final"
    all_problems = sorted(set(ctx.results) | set(ctx.baselines or {}))
    order = [p for s in BENCHMARK_SETS.values() for p in s] + \
        [p for p in all_problems if p not in BENCHMARK_TITLES]
    problems = [p for p in order if p in all_problems]
    if not problems:
        return None
    ncols = 4
    nrows = max(1, math.ceil(len(problems) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(15, 3.4 * nrows), squeeze=False)
    handles = {}
    for i, problem in enumerate(problems):
        ax = axes[i // ncols, i % ncols]
        for e in entries_for(problem, ctx, mode="final"):
            sel = analysis.resolve_metric(e.opt, ctx.metric)
            settings = list(e.opt.settings.values())
            lrs = np.array([s.first.learning_rate or np.nan for s in settings], float)
            get = analysis.best_value if mode == "best" else analysis.final_value
            vals = [get(s, sel) for s in settings]
            rel = _relative(vals, analysis.higher_is_better(sel))
            o = np.argsort(lrs)
            ax.plot(lrs[o], rel[o], color=e.color, linestyle=e.linestyle, marker=".",
                    label=e.label, zorder=e.zorder, alpha=e.alpha)
        ax.set_xscale("log")
        ax.set_ylim(0, 1.05)
        ax.set_title(BENCHMARK_TITLES.get(problem, problem_title(problem)))
        ax.set_xlabel("learning rate")
        if i % ncols == 0:
            ax.set_ylabel(f"relative performance ({mode})")
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    for j in range(len(problems), nrows * ncols):
        axes[j // ncols, j % ncols].axis("off")
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center",
               ncol=min(6, max(1, len(handles))), frameon=False)
    fig.suptitle("Learning-rate sensitivity (performance relative to each optimizer's best "
                 "setting)", y=0.995)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    return _save(fig, ctx, "lr_sensitivity")


def varying_hyperparams(opt):
    values = {}
    for s in opt.settings.values():
        for k, v in s.first.all_hyperparams.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                values.setdefault(k, set()).add(float(v))
    return [k for k, vs in sorted(values.items()) if len(vs) > 1]


def _xscale(values):
    v = np.asarray([x for x in values if x is not None], float)
    return "log" if v.size and np.all(v > 0) and v.max() / v.min() > 50 else "linear"


def plot_hyperparameter_sensitivity(problem, hyperparam, ctx):
    """DeepOBS 1.2 plot_hyperparameter_sensitivity: metric over one hyperparameter, every seed
    as a cross and the min-max range as a bar."""
    mode = "best" if ctx.mode == "best" else "final"
    fig, ax = plt.subplots(figsize=(7, 4.2))
    xs_all = []
    metric_name = None
    for e in entries_for(problem, ctx):
        if hyperparam not in e.setting.first.all_hyperparams:
            continue
        sel = analysis.resolve_metric(e.opt, ctx.metric)
        metric_name = metric_name or sel
        pts = []
        for s in e.opt.settings.values():
            x = s.first.all_hyperparams.get(hyperparam)
            if not isinstance(x, (int, float)) or isinstance(x, bool):
                continue
            agg = analysis.aggregate(s, sel)
            if mode == "final":
                y, seeds = agg.mean[-1], agg.values[:, -1]
            else:
                y = analysis.best_value(s, sel)
                seeds = agg.values[:, int(np.nanargmax(agg.mean) if analysis.higher_is_better(sel)
                                          else np.nanargmin(agg.mean))] \
                    if not np.all(np.isnan(agg.mean)) else agg.values[:, -1]
            pts.append((float(x), float(y), seeds))
        if not pts:
            continue
        pts.sort(key=lambda t: t[0])
        x = np.array([p[0] for p in pts])
        y = np.array([p[1] for p in pts])
        xs_all.extend(x)
        ax.plot(x, y, color=e.color, linestyle=e.linestyle, marker="o", ms=3.5, label=e.label,
                zorder=e.zorder + 1, alpha=e.alpha)
        if ctx.plot_std:
            for xi, _, seeds in pts:
                if len(seeds) > 1:
                    ax.scatter(np.full(len(seeds), xi), seeds, marker="x", s=14, color=e.color,
                               alpha=0.6 * e.alpha, zorder=e.zorder, lw=0.8)
                    ax.vlines(xi, np.nanmin(seeds), np.nanmax(seeds), color=e.color,
                              alpha=0.5 * e.alpha, zorder=e.zorder, lw=1.0)
    if metric_name is None:
        plt.close(fig)
        return None
    ax.set_xscale(_xscale(xs_all))
    ax.set_xlabel(hyperparam)
    ax.set_ylabel(f"{mode} {metric_title(metric_name)}")
    finite = [v for line in ax.get_lines() for v in np.asarray(line.get_ydata(), float)
              if np.isfinite(v)]
    if finite and not analysis.higher_is_better(metric_name):
        lo, hi = np.percentile(finite, 0), np.percentile(finite, 60)
        if hi > lo:
            ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.6 * (hi - lo))
    ax.set_title(f"{problem_title(problem)}: sensitivity to {hyperparam}")
    ax.legend(loc="best")
    fig.tight_layout()
    return _save(fig, ctx, f"sensitivity_{problem}_{hyperparam}")


def plot_hyperparameter_sensitivity_2d(opt, hyperparams, ctx):
    """DeepOBS 1.2 plot_hyperparameter_sensitivity_2d: filled contour over two hyperparameters."""
    p1, p2 = hyperparams
    mode = "best" if ctx.mode == "best" else "final"
    sel = analysis.resolve_metric(opt, ctx.metric)
    xs, ys, zs = [], [], []
    for s in opt.settings.values():
        hp = s.first.all_hyperparams
        if p1 in hp and p2 in hp:
            xs.append(float(hp[p1]))
            ys.append(float(hp[p2]))
            zs.append(analysis.final_value(s, sel) if mode == "final"
                      else analysis.best_value(s, sel))
    xs, ys, zs = map(lambda a: np.asarray(a, float), (xs, ys, zs))
    ok = np.isfinite(zs)
    if ok.sum() < 3:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 5))
    lx, ly = _xscale(xs) == "log", _xscale(ys) == "log"
    tx = np.log10(xs[ok]) if lx else xs[ok]
    ty = np.log10(ys[ok]) if ly else ys[ok]
    try:
        cs = ax.tricontourf(tx, ty, zs[ok], levels=14, cmap="viridis" if
                            analysis.higher_is_better(sel) else "viridis_r")
    except Exception:  # collinear points: no triangulation, fall back to a scatter
        cs = ax.scatter(tx, ty, c=zs[ok], cmap="viridis", s=60)
    ax.scatter(tx, ty, color="k", s=8, zorder=3)
    fig.colorbar(cs, ax=ax, label=f"{mode} {metric_title(sel)}")
    ax.set_xlabel(("log10 " if lx else "") + p1)
    ax.set_ylabel(("log10 " if ly else "") + p2)
    ax.set_title(f"{problem_title(opt.problem)}: {label_of(opt)}")
    fig.tight_layout()
    safe = opt.name.replace("/", "_")
    return _save(fig, ctx, f"sensitivity2d_{opt.problem}_{safe}_{p1}_{p2}")


def plot_final_metric_vs_tuning_rank(problem, ctx):
    """DeepOBS 1.2 plot_final_metric_vs_tuning_rank: every setting's final metric by rank."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    metric_name = None
    for e in entries_for(problem, ctx):
        sel = analysis.resolve_metric(e.opt, ctx.metric)
        metric_name = metric_name or sel
        ranking = analysis.rank_settings(e.opt, "final", sel)
        ranks = np.arange(1, len(ranking) + 1)
        means = [analysis.final_value(s, sel) for s in ranking]
        ax.plot(ranks, means, color=e.color, linestyle=e.linestyle, marker="o", ms=3,
                label=e.label, zorder=e.zorder + 1, alpha=e.alpha)
        for r, s in zip(ranks, ranking):
            vals = analysis.aggregate(s, sel).all_final_values
            if len(vals) > 1:
                ax.scatter(np.full(len(vals), r), vals, marker="x", s=12, color=e.color,
                           alpha=0.5 * e.alpha, zorder=e.zorder, lw=0.8)
    if metric_name is None:
        plt.close(fig)
        return None
    ax.set_xlabel("tuning rank (1 = best final value)")
    ax.set_ylabel(f"final {metric_title(metric_name)}")
    finite = [v for line in ax.get_lines() for v in np.asarray(line.get_ydata(), float)
              if np.isfinite(v)]
    if finite and not analysis.higher_is_better(metric_name):
        lo, hi = min(finite), np.percentile(finite, 60)
        if hi > lo:
            ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.6 * (hi - lo))
    ax.set_title(f"{problem_title(problem)}: final metric vs tuning rank")
    ax.legend(loc="best")
    fig.tight_layout()
    return _save(fig, ctx, f"tuning_rank_{problem}")


def plot_performance_profile(profile, ctx):
    """The Dolan–Moré profile of summary.json's performance_profile as step curves: rho(tau)
    from tau = 1 to past the largest finite ratio, log-scaled."""
    ratios = profile["ratios"]
    finite = [r for per in ratios.values() for r in per.values() if r is not None]
    if not profile["problems"] or not finite:
        return None
    top = max(2.0, max(finite) * 1.25)
    taus = np.exp(np.linspace(0.0, np.log(top), 400))
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    n = len(profile["problems"])
    for name, per in ratios.items():
        rho = [sum(1 for r in per.values() if r is not None and r <= t) / n for t in taus]
        ax.step(taus, rho, where="post", label=name)
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tau (time to target / fastest time to target)")
    ax.set_ylabel("fraction of problems")
    ax.set_title(f"Performance profile over {n} problem(s)")
    ax.legend(fontsize=8)
    return _save(fig, ctx, "performance_profile")
