"""Tables: DeepOBS 1.1's Performance / Speed / Tuneability table per benchmark set and DeepOBS
1.2's results table, each as Markdown, CSV and LaTeX."""

import csv
import io
import os

from deepobs_analyzer.naming import BENCHMARK_SETS, BENCHMARK_TITLES, problem_title


def _fmt(v):
    if v is None:
        return "N.A."
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.4e}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items()) or "{}"
    return str(v)


def _tex_escape(s):
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                 ("#", r"\#"), ("{", r"\{"), ("}", r"\}"), ("$", r"\$")):
        s = s.replace(a, b) if a != "\\" else s
    return s


class Table:
    """rows: list of (row label tuple, {column: value}); numeric rows may be colour-coded."""

    def __init__(self, name, title, index_names, columns):
        self.name = name
        self.title = title
        self.index_names = index_names
        self.columns = columns
        self.rows = []

    def add(self, index, values, better=None):
        self.rows.append((index, values, better))

    def cells(self):
        return [[*idx, *[_fmt(vals.get(c)) for c in self.columns]] for idx, vals, _ in self.rows]

    def markdown(self):
        head = [*self.index_names, *self.columns]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in self.cells():
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        return f"**{self.title}**\n\n" + "\n".join(lines) + "\n"

    def csv(self):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([*self.index_names, *self.columns])
        for idx, vals, _ in self.rows:
            w.writerow([*idx, *["" if vals.get(c) is None else
                               (repr(vals[c]) if isinstance(vals[c], float) else _fmt(vals[c]))
                               for c in self.columns]])
        return buf.getvalue()

    def latex(self):
        """booktabs table; numeric rows normalised to 0-100 (higher = better) and coloured
        green (best) to red (worst), as DeepOBS 1.1's table."""
        n = len(self.index_names)
        out = [f"% {self.title}", "% needs \\usepackage{booktabs} and \\usepackage[table]{xcolor}",
               r"\begin{tabular}{" + "l" * n + "c" * len(self.columns) + "}", r"\toprule",
               " & ".join(_tex_escape(h) for h in [*self.index_names, *self.columns]) + r" \\",
               r"\midrule"]
        for idx, vals, better in self.rows:
            cells = [_tex_escape(str(i)) for i in idx]
            nums = {c: v for c, v in vals.items() if isinstance(v, (int, float))
                    and not isinstance(v, bool) and v == v}
            lo, hi = (min(nums.values()), max(nums.values())) if nums else (0, 0)
            for c in self.columns:
                v = vals.get(c)
                text = _tex_escape(_fmt(v))
                if better and c in nums and hi > lo:
                    score = (nums[c] - lo) / (hi - lo) * 100
                    if better == "lower":
                        score = 100 - score
                    r, g = min(1, 2 * (1 - score / 100)), min(1, 2 * score / 100)
                    text = f"\\cellcolor[rgb]{{{r:.2f},{g:.2f},0.3}}{text}"
                cells.append(text)
            out.append(" & ".join(cells) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(out) + "\n"

    def html(self):
        import html as h
        head = "".join(f"<th>{h.escape(c)}</th>" for c in [*self.index_names, *self.columns])
        body = []
        for row in self.cells():
            body.append("<tr>" + "".join(f"<td>{h.escape(c)}</td>" for c in row) + "</tr>")
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")

    def write(self, directory):
        paths = []
        for ext, text in (("md", self.markdown()), ("csv", self.csv()), ("tex", self.latex())):
            p = os.path.join(directory, f"{self.name}.{ext}")
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
            paths.append(p)
        return paths


def column_label(entry):
    from deepobs_analyzer.naming import optimizer_display
    return optimizer_display(entry["optimizer"]) + (" (baseline)" if entry["baseline"] else "")


def _ordered_columns(entries):
    from deepobs_analyzer.naming import BASELINE_ORDER
    def key(e):
        c = e["canonical_name"]
        return (0 if e["baseline"] else 1, BASELINE_ORDER.index(c) if c in BASELINE_ORDER else 9,
                e["optimizer"])
    cols = []
    for e in sorted(entries, key=key):
        lab = column_label(e)
        if lab not in cols:
            cols.append(lab)
    return cols


def performance_tables(summary):
    """DeepOBS 1.1 plot_table: per benchmark set, rows problem x {Performance, Speed,
    Tuneability}; Performance on the most-runs setting of each optimizer."""
    tables = []
    for set_name, problems in BENCHMARK_SETS.items():
        present = [p for p in problems if p in summary["problems"]]
        if not present:
            continue
        entries = [e for p in present for e in summary["problems"][p]["optimizers"]]
        cols = _ordered_columns(entries)
        t = Table(f"performance_table_{set_name}",
                  f"DeepOBS {set_name} benchmark set: performance, speed, tuneability",
                  ["problem", "row"], cols)
        for p in present:
            pe = summary["problems"][p]
            perf, speed, tune = {}, {}, {}
            for e in pe["optimizers"]:
                c = column_label(e)
                perf[c] = e["performance_most"]["mean"]
                speed[c] = e["speed_most"]
                tune[c] = {"lr": f"{e['learning_rate_most']:.2e}"
                           if e["learning_rate_most"] is not None else None,
                           **{k: v for k, v in e["hyperparameters_most"].items()
                              if k != "learning_rate"}}
            lossy = pe["performance_metric"] == "test_losses"
            title = BENCHMARK_TITLES.get(p, p)
            t.add((title, "Performance"), perf, "lower" if lossy else "higher")
            t.add((title, "Speed"), speed, "lower")
            t.add((title, "Tuneability"), tune)
        tables.append(t)
    return tables


def results_table(summary):
    """DeepOBS 1.2 plot_results_table: (problem, {Hyperparameters, Performance, Speed,
    Training Parameters}) x optimizers, for the ranking mode chosen."""
    entries = [e for p in summary["problems"].values() for e in p["optimizers"]]
    cols = _ordered_columns(entries)
    t = Table("results_table", f"Results (mode {summary['mode']}, selection metric "
              f"{summary['metric'] or 'test accuracy, else test loss'})", ["problem", "row"], cols)
    for p, pe in summary["problems"].items():
        hp, perf, speed, tp = {}, {}, {}, {}
        for e in pe["optimizers"]:
            c = column_label(e)
            hp[c] = e["hyperparameters"]
            perf[c] = e["performance"]["mean"]
            speed[c] = e["speed"]
            tp[c] = e["training_parameters"]
        title = problem_title(p)
        lossy = pe["performance_metric"] == "test_losses"
        t.add((title, "Hyperparameters"), hp)
        t.add((title, "Performance"), perf, "lower" if lossy else "higher")
        t.add((title, "Speed"), speed, "lower")
        t.add((title, "Training Parameters"), tp)
    return t
