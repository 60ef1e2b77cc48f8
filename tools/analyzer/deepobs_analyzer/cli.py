"""Command line: python3 -m deepobs_analyzer <analyze|check|estimate-runtime|prepare-baselines>.

`deepobs analyze|estimate-runtime|prepare-baselines` (the C++ binary) runs this module."""

import argparse
import os
import sys

from deepobs_analyzer import AnalyzerError

PROG = os.environ.get("DEEPOBS_ANALYZER_PROG", "python3 -m deepobs_analyzer")


def _analyze_parser(sub):
    from deepobs_analyzer.analysis import METRICS, MODES
    p = sub.add_parser("analyze", help="figures, tables, summary.json and index.html from a "
                       "results folder, beside the DeepOBS baselines",
                       description="Analyze a DeepOBS results folder (<results_dir>/<test_problem>/"
                       "<optimizer>/<setting>/random_seed__N__time.json) and write figures (PNG, "
                       "PDF), tables (Markdown, CSV, LaTeX), summary.json and a self-contained "
                       "index.html into --output_dir.")
    p.add_argument("results_dir")
    p.add_argument("--baselines", metavar="DIR",
                   default=os.environ.get("DEEPOBS_BASELINES"),
                   help="DeepOBS baselines folder (same layout, plus convergence_performance.json);"
                   " default: $DEEPOBS_BASELINES, else ./baselines_deepobs if it exists")
    p.add_argument("--output_dir", default="report", help="where the report goes (default: report)")
    p.add_argument("--mode", choices=MODES, default="most",
                   help="how an optimizer's setting is chosen: best final value, best value at any"
                   " epoch, or the setting with most seeds (falls back to final when all have the "
                   "same number); default most")
    p.add_argument("--metric", choices=METRICS, default=None,
                   help="selection metric (default: test_accuracies, test_losses for problems "
                   "without accuracy; DeepOBS 1.1's rule)")
    p.add_argument("--formats", default="png,pdf", help="figure formats, comma-separated "
                   "(default png,pdf; png is needed for index.html)")
    p.add_argument("--conv_perf", metavar="FILE", help="convergence_performance.json (default: "
                   "the baselines folder's)")
    p.add_argument("--which", choices=("mean_and_std", "median_and_quartiles"),
                   default="mean_and_std", help="curve and band in the performance figures")
    p.add_argument("--no_figures", action="store_true", help="tables and summary.json only")


def _check_parser(sub):
    p = sub.add_parser("check", help="DeepOBS 1.2 check_output: validate every result file")
    p.add_argument("results_dir")


def _runtime_parser(sub):
    p = sub.add_parser("estimate-runtime", help="runtime overhead of an optimizer against SGD",
                       description="Runs the deepobs binary num_runs times with SGD and with the "
                       "optimizer and reports the ratio of their training times (mean ± std).")
    p.add_argument("--optimizer", required=True)
    p.add_argument("--test_problem", default="mnist_mlp")
    p.add_argument("--num_runs", type=int, default=5)
    p.add_argument("-N", "--num_epochs", type=int, default=3)
    p.add_argument("--batch_size", "--bs", type=int, default=128)
    p.add_argument("--lr", "--learning_rate", type=float, default=1e-5,
                   help="learning rate of the optimizer (default 1e-5, as DeepOBS)")
    p.add_argument("--sgd_lr", type=float, default=None, help="SGD's (default: --lr)")
    p.add_argument("--hp", action="append", default=[], metavar="NAME=VALUE",
                   help="optimizer hyperparameter (repeatable)")
    p.add_argument("--optimizer_args", default="", help="further flags for the optimizer's "
                   "'deepobs run', e.g. \"--hp momentum=0.9\"")
    p.add_argument("--data_dir")
    p.add_argument("--device")
    p.add_argument("--deepobs", default=os.environ.get("DEEPOBS_BINARY"),
                   help="the deepobs binary (default: $DEEPOBS_BINARY, set by 'deepobs')")


def _prepare_parser(sub):
    p = sub.add_parser("prepare-baselines", help="download the published DeepOBS baselines")
    p.add_argument("--dir", "-d", "--data_dir", dest="dir", default="baselines_deepobs",
                   help="target folder (default baselines_deepobs)")


def _reproduce_parsers(sub):
    # Internal: run by `deepobs reproduce` (runner/reproduce_command.cpp), not meant to be typed.
    p = sub.add_parser("reproduce-select", help="(internal, for 'deepobs reproduce') the baseline "
                       "setting chosen per optimizer, with every seed's curves, as JSON")
    p.add_argument("baselines_dir")
    p.add_argument("problem")
    p.add_argument("--optimizers", required=True, help="canonical names, comma-separated")
    p.add_argument("--mode", default="most")
    p.add_argument("--out", required=True, help="where the JSON goes")
    p = sub.add_parser("reproduce-figure", help="(internal, for 'deepobs reproduce') our seed "
                       "band over the baselines' from the summary JSON")
    p.add_argument("summary")
    p.add_argument("out")


def _tune_parser(sub):
    # Internal: run by `deepobs tune` (runner/tune_command.cpp), not meant to be typed.
    p = sub.add_parser("tune-select", help="(internal, for 'deepobs tune') the best of a tune's "
                       "settings by the analyzer's rule, as JSON")
    p.add_argument("results_dir")
    p.add_argument("problem")
    p.add_argument("optimizer", help="the optimizer folder name, e.g. MomentumOptimizer")
    p.add_argument("--settings", required=True, help="file with one setting folder name a line")
    p.add_argument("--seeds", required=True, help="the tuning seeds, comma-separated")
    p.add_argument("--mode", choices=("final", "best"), default="final")
    p.add_argument("--metric", default=None)
    p.add_argument("--out", required=True, help="where the JSON goes")


def _missing(modules=("numpy", "pandas", "matplotlib")):
    """True (after printing the install hint) when a module the command needs is missing."""
    from deepobs_analyzer.deps import MissingDependency, require
    try:
        require(modules)
    except MissingDependency as e:
        print(e, file=sys.stderr)
        return True
    return False


def build_parser():
    parser = argparse.ArgumentParser(prog=PROG, description="DeepOBS analyzer: DeepOBS 1.1 and "
                                     "1.2's plots, tables and baseline comparison.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    _analyze_parser(sub)
    _check_parser(sub)
    _runtime_parser(sub)
    _prepare_parser(sub)
    _reproduce_parsers(sub)
    _tune_parser(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    name = "deepobs reproduce" if args.command.startswith("reproduce-") else \
        "deepobs tune" if args.command == "tune-select" else f"deepobs {args.command}"
    try:
        if args.command == "analyze":
            if _missing():
                return 3
            from deepobs_analyzer.report import analyze
            baselines = args.baselines
            if baselines is None and os.path.isdir("baselines_deepobs"):
                baselines = "baselines_deepobs"
            if baselines is None:
                print(f"{name}: no baselines (pass --baselines DIR or run 'deepobs "
                      "prepare-baselines'); analysing the results alone", file=sys.stderr)
            formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
            bad = [f for f in formats if f not in ("png", "pdf", "svg")]
            if bad:
                raise AnalyzerError(f"--formats: unknown format {bad[0]!r} (png, pdf, svg)")
            analyze(args.results_dir, baselines, args.output_dir, args.mode, args.metric,
                    formats, args.conv_perf, args.which, figures=not args.no_figures)
        elif args.command == "check":
            if _missing(("numpy",)):
                return 3
            from deepobs_analyzer import loading
            tree = loading.load_tree(args.results_dir)
            for p, pr in tree.items():
                for o, opt in pr.optimizers.items():
                    seeds = sorted({s.num_seeds for s in opt.settings.values()})
                    print(f"{p} | {o}: {opt.num_settings} setting(s) with "
                          f"{'/'.join(map(str, seeds))} seed(s)")
            for d in loading.empty_setting_folders(args.results_dir):
                print(f"warning: {d}: empty setting folder")
            print("all result files are valid")
        elif args.command == "estimate-runtime":
            from deepobs_analyzer.runtime import estimate_runtime
            estimate_runtime(args.deepobs, args.optimizer, args.test_problem, args.num_runs,
                             args.num_epochs, args.batch_size, args.lr, args.sgd_lr, args.hp,
                             args.optimizer_args, args.data_dir, args.device)
        elif args.command == "reproduce-select":
            if _missing(("numpy",)):
                return 3
            from deepobs_analyzer.analysis import MODES
            from deepobs_analyzer.reproduce import write_selection
            if args.mode not in MODES:
                raise AnalyzerError(f"--mode must be one of {', '.join(MODES)}")
            write_selection(args.baselines_dir, args.problem,
                            [o for o in args.optimizers.split(",") if o], args.out, args.mode)
        elif args.command == "reproduce-figure":
            if _missing(("matplotlib",)):
                return 3
            from deepobs_analyzer.reproduce import write_figure
            write_figure(args.summary, args.out)
        elif args.command == "tune-select":
            if _missing(("numpy",)):
                return 3
            from deepobs_analyzer.tune import write_selection
            write_selection(args.results_dir, args.problem, args.optimizer, args.settings,
                            args.seeds, args.mode, args.metric, args.out)
        elif args.command == "prepare-baselines":
            from deepobs_analyzer.baselines import prepare_baselines
            prepare_baselines(args.dir)
    except AnalyzerError as e:
        print(f"{name}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    return 0
