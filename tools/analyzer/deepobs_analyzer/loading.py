"""Reading a result tree: <root>/<test_problem>/<optimizer>/<setting>/random_seed__N__time.json.

Both file flavours are read alike: deepobs-cpp's superset JSON (v1.1 + v1.2 keys + our own) and
DeepOBS 1.1's files (the published baselines). NaN / Infinity tokens are accepted.
"""

import json
import math
import os

from deepobs_analyzer import AnalyzerError
from deepobs_analyzer.naming import canonical_optimizer

CURVE_KEYS = ["train_losses", "valid_losses", "test_losses",
              "train_accuracies", "valid_accuracies", "test_accuracies"]
LAYOUT = "<results_dir>/<test_problem>/<optimizer>/<setting>/random_seed__<seed>__<time>.json"


class Run:
    """One result file, normalised to the same fields whatever its flavour."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.testproblem = data.get("testproblem")
        self.optimizer = data.get("optimizer_name") or data.get("optimizer")
        self.num_epochs = data["num_epochs"]
        self.batch_size = data.get("batch_size")
        self.random_seed = data.get("random_seed")
        self.weight_decay = data.get("weight_decay")
        ohp = data.get("optimizer_hyperparams")
        if isinstance(ohp, dict):  # v1.2 / ours: the learning rate is inside
            hp = dict(ohp)
            lr = hp.pop("learning_rate", hp.pop("lr", data.get("learning_rate")))
        else:
            hp = dict(data.get("hyperparams") or {})
            lr = data.get("learning_rate")
        self.learning_rate = lr
        self.hyperparams = hp
        tp = data.get("training_params")
        if not isinstance(tp, dict):
            tp = {}
            if data.get("lr_sched_epochs") is not None:
                tp = {"lr_sched_epochs": data.get("lr_sched_epochs"),
                      "lr_sched_factors": data.get("lr_sched_factors")}
        self.training_params = tp
        self.valid_is_test = bool(data.get("valid_is_test", "valid_losses" not in data))
        self.data_variant = data.get("data_variant")
        self.diverged = bool(data.get("diverged", False))
        self.total_seconds = data.get("total_seconds")
        self.curves = {}
        for k in CURVE_KEYS:
            if isinstance(data.get(k), list):
                self.curves[k] = [float("nan") if v is None else float(v) for v in data[k]]
        # DeepOBS 1.1 files have no valid_*: 1.1 selected on the test set, so do we.
        for kind in ("losses", "accuracies"):
            if "valid_" + kind not in self.curves and "test_" + kind in self.curves:
                self.curves["valid_" + kind] = self.curves["test_" + kind]

    @property
    def all_hyperparams(self):
        d = {"learning_rate": self.learning_rate}
        d.update(self.hyperparams)
        return d


def read_json(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise AnalyzerError(f"{path}: cannot read ({e.strerror})") from None
    if not text.strip():
        raise AnalyzerError(f"{path}: empty file, not a DeepOBS result")
    try:
        data = json.loads(text)  # accepts NaN, Infinity, -Infinity as DeepOBS writes them
    except json.JSONDecodeError as e:
        what = "truncated JSON" if e.pos >= len(text.rstrip()) - 1 else "invalid JSON"
        raise AnalyzerError(
            f"{path}: {what} ({e.msg} at line {e.lineno} column {e.colno})") from None
    if not isinstance(data, dict):
        raise AnalyzerError(f"{path}: not a DeepOBS result (a JSON object was expected)")
    return data


def check_run(path, data):
    """Schema and length validation (DeepOBS 1.2 check_output, extended to 1.1 files).

    Raises AnalyzerError naming the file."""
    required = ["num_epochs", "batch_size", "testproblem", "random_seed",
                "train_losses", "test_losses"]
    missing = [k for k in required if k not in data]
    if "optimizer_name" not in data and "optimizer" not in data:
        missing.append("optimizer_name")
    if "optimizer_hyperparams" not in data and "learning_rate" not in data:
        missing.append("optimizer_hyperparams")
    if missing:
        raise AnalyzerError(f"{path}: not a DeepOBS result, missing key(s) {', '.join(missing)}")
    n = data["num_epochs"]
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise AnalyzerError(f"{path}: num_epochs must be a non-negative integer, got {n!r}")
    lengths = {}
    for k in CURVE_KEYS:
        if k not in data:
            continue
        v = data[k]
        if not isinstance(v, list):
            raise AnalyzerError(f"{path}: {k} must be a list, got {type(v).__name__}")
        bad = [x for x in v if not (x is None or (isinstance(x, (int, float))
                                                   and not isinstance(x, bool)))]
        if bad:
            raise AnalyzerError(f"{path}: {k} holds a non-number ({bad[0]!r})")
        lengths[k] = len(v)
    wrong = {k: m for k, m in lengths.items() if m != n + 1}
    if wrong:
        detail = ", ".join(f"{k} has {m}" for k, m in lengths.items())
        raise AnalyzerError(f"{path}: lists of unequal length ({detail}); each must have "
                            f"num_epochs + 1 = {n + 1} entries")
    if ("train_accuracies" in data) != ("test_accuracies" in data):
        raise AnalyzerError(f"{path}: has only one of train_accuracies / test_accuracies")


class Setting:
    def __init__(self, name, path):
        self.name = name
        self.path = path
        self.runs = []

    @property
    def num_seeds(self):
        return len(self.runs)

    @property
    def first(self):
        return self.runs[0]


class OptimizerResults:
    def __init__(self, name, path, problem, baseline):
        self.name = name                      # the folder name, as the user wrote it
        self.canonical = canonical_optimizer(name)
        self.path = path
        self.problem = problem
        self.baseline = baseline
        self.settings = {}

    @property
    def num_settings(self):
        return len(self.settings)

    @property
    def num_runs(self):
        return sum(s.num_seeds for s in self.settings.values())


class ProblemResults:
    def __init__(self, name, path):
        self.name = name
        self.path = path
        self.optimizers = {}


def _json_files(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".json") and
                  os.path.isfile(os.path.join(d, f)))


def _subdirs(d):
    return sorted(f for f in os.listdir(d) if os.path.isdir(os.path.join(d, f))
                  and not f.startswith("."))


def load_tree(root, baseline=False, only=None):
    """Walks root into {problem: ProblemResults}; raises AnalyzerError with the file named.
    only: the test-problem folders to read (default: all)."""
    if not os.path.exists(root):
        raise AnalyzerError(f"{root}: no such folder")
    if not os.path.isdir(root):
        raise AnalyzerError(f"{root}: not a folder; expected the results folder {LAYOUT}")
    problems = {}
    stray = [f for f in _json_files(root) if f != "convergence_performance.json"]
    if stray:
        raise AnalyzerError(
            f"{os.path.join(root, stray[0])}: not in the DeepOBS layout {LAYOUT} "
            "(a result file directly in the results folder)")
    for pname in _subdirs(root):
        if only is not None and pname not in only:
            continue
        pdir = os.path.join(root, pname)
        prob = ProblemResults(pname, pdir)
        if _json_files(pdir):
            raise AnalyzerError(
                f"{os.path.join(pdir, _json_files(pdir)[0])}: not in the DeepOBS layout {LAYOUT}"
                " (a result file at the test-problem level; pass the folder that holds the "
                "test-problem folders)")
        for oname in _subdirs(pdir):
            odir = os.path.join(pdir, oname)
            if _json_files(odir):
                raise AnalyzerError(
                    f"{os.path.join(odir, _json_files(odir)[0])}: not in the DeepOBS layout "
                    f"{LAYOUT} (a result file at the optimizer level)")
            opt = OptimizerResults(oname, odir, pname, baseline)
            for sname in _subdirs(odir):
                sdir = os.path.join(odir, sname)
                deeper = _subdirs(sdir)
                files = _json_files(sdir)
                if deeper and not files:
                    raise AnalyzerError(
                        f"{os.path.join(sdir, deeper[0])}: not in the DeepOBS layout {LAYOUT} "
                        "(a folder below the setting folder)")
                if not files:
                    continue  # an empty setting folder: reported by check_output
                setting = Setting(sname, sdir)
                for fname in files:
                    fpath = os.path.join(sdir, fname)
                    data = read_json(fpath)
                    check_run(fpath, data)
                    run = Run(fpath, data)
                    if run.testproblem != pname:
                        raise AnalyzerError(
                            f"{fpath}: testproblem is {run.testproblem!r} but the file lies in "
                            f"the folder {pname!r} ({LAYOUT})")
                    if setting.runs and run.num_epochs != setting.first.num_epochs:
                        raise AnalyzerError(
                            f"{fpath}: num_epochs {run.num_epochs} differs from "
                            f"{setting.first.path} ({setting.first.num_epochs}) in the same "
                            "setting folder")
                    setting.runs.append(run)
                opt.settings[sname] = setting
            if opt.settings:
                prob.optimizers[oname] = opt
        if prob.optimizers:
            problems[pname] = prob
    if not problems and only is None:
        raise AnalyzerError(
            f"{root}: no result files found; expected {LAYOUT}")
    return problems


def empty_setting_folders(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel.count(os.sep) == 2 and not any(f.endswith(".json") for f in filenames):
            out.append(dirpath)
    return sorted(out)


def load_conv_perf(path):
    if not path or not os.path.isfile(path):
        return {}
    data = read_json(path)
    out = {}
    for k, v in data.items():
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            raise AnalyzerError(f"{path}: value for {k!r} is not a number") from None
        if math.isnan(out[k]):
            del out[k]
    return out
