"""`deepobs analyze`: loads results and baselines, writes figures, tables, summary.json and a
self-contained index.html."""

import base64
import datetime
import html
import json
import os
import warnings

import numpy as np

from deepobs_analyzer import AnalyzerError, __version__, analysis, comparison, loading
from deepobs_analyzer.naming import (BASELINE_ORDER, BENCHMARK_TITLES, optimizer_display,
                                     problem_title)


class Context:
    def __init__(self, results, baselines, conv_perf, mode, metric, output_dir, formats,
                 which="mean_and_std", plot_std=True):
        from deepobs_analyzer.plots import Styler
        self.results = results
        self.baselines = baselines
        self.conv_perf = conv_perf
        self.mode = mode
        self.metric = metric
        self.output_dir = output_dir
        self.figure_dir = os.path.join(output_dir, "figures")
        self.table_dir = os.path.join(output_dir, "tables")
        self.formats = formats
        self.which = which
        self.plot_std = plot_std
        self.figures = []
        self.styler = Styler()

    @staticmethod
    def ordered_optimizers(problem):
        def key(o):
            c = o.canonical
            return (BASELINE_ORDER.index(c) if c in BASELINE_ORDER else 9, o.name)
        return sorted(problem.optimizers.values(), key=key)


def _same_dir(a, b):
    return a is not None and b is not None and os.path.realpath(a) == os.path.realpath(b)


def build_summary(ctx, results_dir, baselines_dir):
    out = {"generator": f"deepobs_analyzer {__version__}",
           "created": datetime.datetime.now().isoformat(timespec="seconds"),
           "results_dir": os.path.abspath(results_dir),
           "baselines_dir": os.path.abspath(baselines_dir) if baselines_dir else None,
           "mode": ctx.mode, "metric": ctx.metric,
           "conv_perf": ctx.conv_perf, "problems": {}, "warnings": []}
    problems = sorted(set(ctx.results) | set(ctx.baselines or {}),
                      key=lambda p: (list(BENCHMARK_TITLES).index(p)
                                     if p in BENCHMARK_TITLES else 99, p))
    for p in problems:
        cp = ctx.conv_perf.get(p)
        entries = []
        base_by_name = {}
        for group, is_base in ((ctx.baselines, True), (ctx.results, False)):
            if not group or p not in group:
                continue
            for opt in Context.ordered_optimizers(group[p]):
                e = analysis.summarize_optimizer(opt, "most" if is_base else ctx.mode,
                                                 ctx.metric, cp)
                most = e if (is_base or ctx.mode == "most") else \
                    analysis.summarize_optimizer(opt, "most", ctx.metric, cp)
                e["performance_most"] = most["performance"]
                e["speed_most"] = most["speed"]
                e["learning_rate_most"] = most["learning_rate"]
                e["hyperparameters_most"] = most["hyperparameters"]
                e["display_name"] = optimizer_display(opt.name)
                if is_base:
                    base_by_name[opt.canonical] = e
                else:
                    ref = base_by_name.get(opt.canonical) or \
                        (next(iter(base_by_name.values())) if base_by_name else None)
                    e["flags"] = analysis.comparability_flags(opt, e, ref)
                    e["compared_with_baseline"] = opt.canonical in base_by_name
                    for fl in e["flags"]:
                        out["warnings"].append(f"{p} | {opt.name}: {fl}")
                entries.append((opt, e))
        perf_metric = "test_accuracies" if any(
            e["performance"]["metric"] == "test_accuracies" for _, e in entries) else "test_losses"
        if cp is None and entries:
            out["warnings"].append(f"{p}: no convergence performance known; speed is N.A.")
        out["problems"][p] = {"title": problem_title(p), "performance_metric": perf_metric,
                              "conv_perf": cp, "optimizers": [e for _, e in entries]}
        out["problems"][p].update(compare_optimizers(entries, perf_metric, cp))
    times = {p: {k: v["epochs"] for k, v in pe["time_to_target"]["optimizers"].items()}
             for p, pe in out["problems"].items()}
    out["performance_profile"] = {
        "definition": "Dolan-More profile over the problems: for each problem the ratio of an "
                      "optimizer's time to target (epochs) to the fastest one's; rho(tau) is the "
                      "fraction of problems with ratio <= tau (never reaching: infinite)",
        "time_unit": "epochs", **comparison.performance_profile(times)}
    return out


def compare_optimizers(entries, perf_metric, conv_perf):
    """summary.json's "significance" and "time_to_target" of one problem (comparison.py)."""
    hib = analysis.higher_is_better(perf_metric)
    same = [(opt, e) for opt, e in entries if e["performance"]["metric"] == perf_metric]
    curves, best, seconds = {}, [], {}
    for opt, e in same:
        setting = opt.settings[e["setting"]]
        label = comparison.entry_label(e)
        curves[label] = [float(v) for v in analysis.aggregate(setting, perf_metric).mean]
        best.append(analysis.best_value(setting, perf_metric))
        secs = [r.data.get("epoch_seconds") for r in setting.runs]
        if secs and all(isinstance(x, list) and x for x in secs) and \
                len({len(x) for x in secs}) == 1:
            seconds[label] = [float(v) for v in np.mean(np.asarray(secs, dtype=float), axis=0)]
    target, rule = comparison.choose_target(conv_perf, best, hib)
    ttt = comparison.time_to_target(curves, target, hib, seconds) if target is not None else {
        label: {"epochs": None, "seconds": None} for label in curves}
    return {
        "significance": {
            "test": comparison.TEST_NAME, "effect_size": comparison.EFFECT_SIZE_NAME,
            "values": f"{perf_metric} of every seed of each optimizer's chosen setting at the "
                      "reported epoch; difference = mean(a) - mean(b), 95% CI with the "
                      "Welch-Satterthwaite degrees of freedom",
            "pairs": comparison.pairwise_tests([e for _, e in same])},
        "time_to_target": {"metric": perf_metric, "target": target, "target_rule": rule,
                           "unit": "epochs (evaluation index on the mean-over-seeds curve); "
                                   "seconds: mean training seconds up to it",
                           "optimizers": ttt}}


def _img_tag(path, alt):
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#222;
background:#f6f7f9}
header{background:#23395d;color:#fff;padding:18px 32px}header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{max-width:1360px;margin:0 auto;padding:12px 32px 40px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:18px 0;padding:14px 20px}
h2{font-size:19px;margin:6px 0 12px;color:#23395d}h3{font-size:15px;margin:16px 0 8px}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0 12px}
th,td{border:1px solid #d5d9df;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}tr:nth-child(even) td{background:#fafbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.user td:first-child{font-weight:600}
tr.baseline td{color:#666}
img{max-width:100%;border:1px solid #eee;margin:6px 0}
.warn{background:#fff4e0;border:1px solid #f0c36d;border-radius:4px;padding:6px 10px;
margin:4px 0;font-size:13px}
nav a{margin-right:14px;font-size:13px}.small{font-size:12px;color:#555}
.flag{color:#b35c00;font-size:12px}
"""


def _num(v, spec=".4f"):
    return "N.A." if v is None else format(v, spec)


def _summary_rows(pe):
    rows = []
    for e in pe["optimizers"]:
        perf = e["performance"]
        hp = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in e["hyperparameters"].items())
        flags = "".join(f'<div class="flag">&#9888; {html.escape(f)}</div>' for f in e["flags"])
        rows.append(
            f'<tr class="{"baseline" if e["baseline"] else "user"}">'
            f"<td>{html.escape(e['display_name'])}{' (baseline)' if e['baseline'] else ''}"
            f"{flags}</td>"
            f'<td class="num">{_num(perf["mean"])} &plusmn; {_num(perf["std"])}</td>'
            f'<td class="num">{_num(e["speed"], ".1f")}</td>'
            f"<td>{html.escape(hp)}</td>"
            f'<td class="num">{e["num_settings"]}</td><td class="num">{e["num_seeds"]}</td>'
            f"<td class=small>{html.escape(e['setting'])}</td></tr>")
    return "".join(rows)


def _comparison_html(pe):
    sig, ttt = pe["significance"], pe["time_to_target"]
    rows = []
    for r in sig["pairs"]:
        if "skipped" in r:
            rows.append(f"<tr><td>{html.escape(r['a'])}</td><td>{html.escape(r['b'])}</td>"
                        f'<td class="num">{r["n_a"]} / {r["n_b"]}</td>'
                        f"<td colspan=4>{html.escape(r['skipped'])}</td></tr>")
            continue
        rows.append(f"<tr><td>{html.escape(r['a'])}</td><td>{html.escape(r['b'])}</td>"
                    f'<td class="num">{r["n_a"]} / {r["n_b"]}</td>'
                    f'<td class="num">{r["difference"]:.4g} [{r["ci95"][0]:.4g}, '
                    f'{r["ci95"][1]:.4g}]</td><td class="num">{_num(r["t"], ".3f")}</td>'
                    f'<td class="num">{r["p"]:.3g}</td>'
                    f'<td class="num">{_num(r["effect_size"], ".3f")}</td></tr>')
    out = []
    if rows:
        out.append(f"<p class=small>{html.escape(sig['test'])}; effect size: "
                   f"{html.escape(sig['effect_size'])}; {html.escape(sig['values'])}.</p>"
                   "<table><tr><th>a</th><th>b</th><th>n</th><th>difference [95% CI]</th>"
                   "<th>t</th><th>p</th><th>Hedges' g</th></tr>" + "".join(rows) + "</table>")
    cells = "".join(f"<tr><td>{html.escape(k)}</td><td class=num>{_num(v['epochs'], 'd')}</td>"
                    f"<td class=num>{_num(v['seconds'], '.1f')}</td></tr>"
                    for k, v in ttt["optimizers"].items())
    out.append(f"<p class=small>Time to target {_num(ttt['target'], '.4g')} "
               f"({html.escape(ttt['target_rule'])}) on {ttt['metric']}:</p>"
               f"<table><tr><th>optimizer</th><th>epochs</th><th>seconds</th></tr>{cells}</table>")
    return "".join(out)


def _profile_html(profile):
    head = "".join(f"<th>&tau;={t:g}</th>" for t in profile["tau"])
    rows = "".join(f"<tr><td>{html.escape(o)}</td>" +
                   "".join(f'<td class="num">{f:.2f}</td>' for f in fr) + "</tr>"
                   for o, fr in profile["fractions"].items())
    return ("<h3>Performance profile</h3>"
            f"<p class=small>{html.escape(profile['definition'])}; over "
            f"{len(profile['problems'])} problem(s).</p>"
            f"<table><tr><th>optimizer</th>{head}</tr>{rows}</table>")


def write_html(summary, ctx, tables, path):
    figs = {f["name"]: f for f in ctx.figures if f.get("png") and os.path.exists(f["png"])}
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
             f"<title>DeepOBS analysis</title><style>{_CSS}</style></head><body>",
             "<header><h1>DeepOBS analysis</h1>"
             f"<p>results: {html.escape(summary['results_dir'])} &middot; baselines: "
             f"{html.escape(str(summary['baselines_dir']))} &middot; mode: {summary['mode']}"
             f" &middot; {html.escape(summary['created'])}</p></header><main>"]
    nav = ['<a href="#overview">Overview</a>', '<a href="#benchmark">Benchmark sets</a>',
           '<a href="#tables">Tables</a>'] + \
        [f'<a href="#p-{p}">{html.escape(p)}</a>' for p in summary["problems"]]
    parts.append("<nav>" + "".join(nav) + "</nav>")
    parts.append('<section id="overview"><h2>Overview</h2>'
                 "<p class=small>Performance: mean &plusmn; population std over the seeds of the "
                 "chosen setting, on the test accuracy (or test loss for loss-only problems) at "
                 "the last epoch (best epoch for mode <i>best</i>). Speed: mean epochs until the "
                 "convergence performance is reached. Baselines (DeepOBS 1.1, grey in the "
                 "figures) always use the setting with the most runs.</p>")
    for w in summary["warnings"]:
        parts.append(f'<div class="warn">{html.escape(w)}</div>')
    head = ("<tr><th>optimizer</th><th>performance</th><th>speed</th><th>hyperparameters</th>"
            "<th>settings</th><th>seeds</th><th>setting folder</th></tr>")
    for p, pe in summary["problems"].items():
        parts.append(f"<h3>{html.escape(pe['title'])} <span class=small>({p}; "
                     f"{pe['performance_metric'].replace('_', ' ')}; conv. perf. "
                     f"{_num(pe['conv_perf'], '.4g')})</span></h3>")
        parts.append(f"<table>{head}{_summary_rows(pe)}</table>")
        parts.append(_comparison_html(pe))
    parts.append(_profile_html(summary["performance_profile"]))
    if "performance_profile" in figs:
        parts.append(_img_tag(figs["performance_profile"]["png"], "performance profile"))
    parts.append("</section>")
    parts.append('<section id="benchmark"><h2>Benchmark sets (DeepOBS 1.1)</h2>')
    for name in ("benchmark_small", "benchmark_large", "lr_sensitivity"):
        if name in figs:
            parts.append(f"<h3>{name.replace('_', ' ')}</h3>" + _img_tag(figs[name]["png"], name))
    parts.append("</section>")
    parts.append('<section id="tables"><h2>Tables</h2>')
    for t in tables:
        parts.append(f"<h3>{html.escape(t.title)}</h3>{t.html()}"
                     f"<p class=small>files: tables/{t.name}.md, .csv, .tex</p>")
    parts.append("</section>")
    for p in summary["problems"]:
        parts.append(f'<section id="p-{p}"><h2>{html.escape(problem_title(p))} ({p})</h2>')
        for name, f in figs.items():
            if name == f"performance_{p}" or name == f"tuning_rank_{p}" or \
                    name.startswith(f"sensitivity_{p}_") or name.startswith(f"sensitivity2d_{p}_"):
                parts.append(_img_tag(f["png"], name))
        parts.append("</section>")
    parts.append("<p class=small>summary.json holds every number shown here. Generated by "
                 f"{html.escape(summary['generator'])}.</p></main></body></html>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))


def analyze(results_dir, baselines_dir=None, output_dir="report", mode="most", metric=None,
            formats=("png", "pdf"), conv_perf_file=None, which="mean_and_std", figures=True,
            log=print):
    from deepobs_analyzer import plots, tables as tables_mod
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    results_is_baselines = _same_dir(results_dir, baselines_dir)
    results = loading.load_tree(results_dir, baseline=results_is_baselines)
    baselines = None
    if baselines_dir and not results_is_baselines:
        if not os.path.isdir(baselines_dir):
            raise AnalyzerError(f"{baselines_dir}: no such baselines folder (get them with "
                                "'deepobs prepare-baselines --dir DIR')")
        baselines = loading.load_tree(baselines_dir, baseline=True)
    conv_file = conv_perf_file or next(
        (os.path.join(d, "convergence_performance.json") for d in (baselines_dir, results_dir)
         if d and os.path.isfile(os.path.join(d, "convergence_performance.json"))), None)
    conv_perf = loading.load_conv_perf(conv_file)
    os.makedirs(output_dir, exist_ok=True)
    ctx = Context(results, baselines, conv_perf, mode, metric, output_dir, list(formats), which)
    os.makedirs(ctx.figure_dir, exist_ok=True)
    os.makedirs(ctx.table_dir, exist_ok=True)
    summary = build_summary(ctx, results_dir, baselines_dir)
    for p in results:
        for opt in results[p].optimizers.values():
            log(f"{p} | {opt.name}: {opt.num_settings} setting(s) with "
                f"{sorted({s.num_seeds for s in opt.settings.values()})} seed(s)")
    for d in loading.empty_setting_folders(results_dir):
        summary["warnings"].append(f"{d}: empty setting folder")
    if figures:
        for set_name in ("small", "large"):
            plots.plot_benchmark_set(set_name, ctx)
        plots.plot_lr_sensitivity(ctx)
        plots.plot_performance_profile(summary["performance_profile"], ctx)
        for p in summary["problems"]:
            if p not in results:
                continue  # baseline-only problems: in the benchmark figures
            plots.plot_problem(p, ctx)
            hps = []
            for group in (results, baselines or {}):
                for opt in (group[p].optimizers.values() if p in group else []):
                    hps += [h for h in plots.varying_hyperparams(opt) if h not in hps]
                    if not opt.baseline:
                        v = plots.varying_hyperparams(opt)
                        for i in range(len(v)):
                            for j in range(i + 1, len(v)):
                                plots.plot_hyperparameter_sensitivity_2d(opt, (v[i], v[j]), ctx)
            for h in hps:
                plots.plot_hyperparameter_sensitivity(p, h, ctx)
            plots.plot_final_metric_vs_tuning_rank(p, ctx)
    tables = tables_mod.performance_tables(summary) + [tables_mod.results_table(summary)]
    for t in tables:
        t.write(ctx.table_dir)
    summary["figures"] = [{"name": f["name"], "files": [os.path.relpath(x, output_dir)
                                                         for x in f["files"]]}
                          for f in ctx.figures]
    summary["tables"] = [os.path.join("tables", f"{t.name}.{ext}") for t in tables
                         for ext in ("md", "csv", "tex")]
    with open(os.path.join(output_dir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, allow_nan=False, default=str)
    write_html(summary, ctx, tables, os.path.join(output_dir, "index.html"))
    for p, pe in summary["problems"].items():
        for e in pe["optimizers"]:
            perf = e["performance"]
            log(f"  {p:<18} {e['display_name'] + (' (baseline)' if e['baseline'] else ''):<22}"
                f" {perf['metric']} {_num(perf['mean'])} ± {_num(perf['std'])}  lr "
                f"{_num(e['learning_rate'], '.4e')}  speed {_num(e['speed'], '.1f')}  "
                f"({e['num_settings']} settings, {e['num_seeds']} seeds)")
    for w in summary["warnings"]:
        log(f"warning: {w}")
    log(f"report written to {os.path.join(output_dir, 'index.html')} "
        f"({len(ctx.figures)} figures, {len(tables)} tables, summary.json)")
    return summary
