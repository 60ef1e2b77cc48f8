"""Significance tests, time-to-target and performance profiles (deepobs_analyzer/comparison.py)
against values known in closed form, computed by hand, or integrated independently, and their
place in summary.json and index.html."""

import json
import math
import os
import tempfile
import unittest

import helpers  # noqa: F401  (puts the analyzer on sys.path, checks numpy/matplotlib)

from deepobs_analyzer import comparison, plots, report


def t_density(x, dof):
    return math.exp(math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2)
                    - 0.5 * math.log(dof * math.pi)
                    - (dof + 1) / 2 * math.log1p(x * x / dof))


def tail_by_integration(t, dof, steps=20000):
    """P(|T| >= |t|) = 1 − 2∫_0^|t| f, by Simpson's rule: independent of the beta function."""
    h = abs(t) / steps
    s = t_density(0, dof) + t_density(abs(t), dof)
    for i in range(1, steps):
        s += (4 if i % 2 else 2) * t_density(i * h, dof)
    return 1.0 - 2.0 * s * h / 3.0


class StudentT(unittest.TestCase):
    def test_closed_forms_for_one_and_two_degrees_of_freedom(self):
        for t in (0.0, 0.3, 1.0, 2.5, -4.0, 30.0):
            # dof 1 is the Cauchy distribution; dof 2 has P(|T|>=t) = 1 − t/sqrt(2 + t²).
            self.assertAlmostEqual(comparison.t_two_sided_p(t, 1),
                                   1 - 2 / math.pi * math.atan(abs(t)), places=12)
            self.assertAlmostEqual(comparison.t_two_sided_p(t, 2),
                                   1 - abs(t) / math.sqrt(2 + t * t), places=12)

    def test_table_quantiles(self):
        # The 97.5% points of every statistics table.
        for dof, q in ((1, 12.706204736), (4, 2.776445105), (10, 2.228138852),
                       (30, 2.042272456)):
            self.assertAlmostEqual(comparison.t_quantile(0.975, dof), q, places=8)
            self.assertAlmostEqual(comparison.t_two_sided_p(q, dof), 0.05, places=9)

    def test_fractional_dof_agrees_with_numerical_integration(self):
        for t, dof in ((2.0, 5.882352941), (4.38178046, 5.882352941), (1.1, 2.5)):
            self.assertAlmostEqual(comparison.t_two_sided_p(t, dof),
                                   tail_by_integration(t, dof), places=9)


class Welch(unittest.TestCase):
    def test_hand_computed_example(self):
        # a: mean 2, var 1; b: mean 6, var 2.5. se² = 1/3 + 1/2 = 5/6; t = −4/sqrt(5/6);
        # dof = (5/6)² / ((1/3)²/2 + (1/2)²/4) = 100/17; pooled var = (2·1 + 4·2.5)/6 = 2;
        # Hedges' g = (1 − 3/(4·8 − 9)) · (−4/sqrt 2) = −(20/23)·2·sqrt(2).
        r = comparison.welch([1, 2, 3], [4, 5, 6, 7, 8])
        self.assertEqual((r["n_a"], r["n_b"]), (3, 5))
        self.assertAlmostEqual(r["difference"], -4.0, places=12)
        self.assertAlmostEqual(r["t"], -4 / math.sqrt(5 / 6), places=12)
        self.assertAlmostEqual(r["dof"], 100 / 17, places=12)
        self.assertAlmostEqual(r["effect_size"], -(20 / 23) * 2 * math.sqrt(2), places=12)
        self.assertAlmostEqual(r["p"], tail_by_integration(r["t"], 100 / 17), places=9)
        self.assertLess(r["p"], 0.01)
        half = (r["ci95"][1] - r["ci95"][0]) / 2
        self.assertAlmostEqual((r["ci95"][0] + r["ci95"][1]) / 2, -4.0, places=12)
        # The CI's half-width is t* · se with P(|T| >= t*) = 0.05.
        self.assertAlmostEqual(tail_by_integration(half / math.sqrt(5 / 6), 100 / 17), 0.05,
                               places=8)
        self.assertIn("Welch", r["test"])
        self.assertIn("Hedges' g", r["effect_size_name"])

    def test_no_difference(self):
        r = comparison.welch([0.91, 0.92, 0.93, 0.90], [0.93, 0.90, 0.92, 0.91])
        self.assertAlmostEqual(r["difference"], 0.0, places=15)
        self.assertAlmostEqual(r["t"], 0.0, places=12)
        self.assertAlmostEqual(r["p"], 1.0, places=12)
        self.assertAlmostEqual(r["effect_size"], 0.0, places=12)
        self.assertAlmostEqual(r["ci95"][0], -r["ci95"][1], places=12)
        self.assertGreater(r["ci95"][1], 0.0)

    def test_degenerate_samples(self):
        same = comparison.welch([1.0, 1.0], [1.0, 1.0])
        self.assertEqual((same["p"], same["t"], same["ci95"]), (1.0, 0.0, [0.0, 0.0]))
        apart = comparison.welch([1.0, 1.0], [2.0, 2.0])
        self.assertEqual(apart["p"], 0.0)
        self.assertIsNone(apart["t"])  # infinite: JSON has no infinity
        self.assertIn("skipped", comparison.welch([1.0], [1.0, 2.0]))
        self.assertIn("skipped", comparison.welch([1.0, float("nan")], [1.0, 2.0]))


class Profiles(unittest.TestCase):
    def test_hand_computed_fractions(self):
        times = {"p1": {"A": 2, "B": 4, "C": None},
                 "p2": {"A": 6, "B": 3, "C": 3},
                 "p3": {"A": None, "B": None, "C": None},  # nobody reached: left out
                 "p4": {"A": 0, "B": 5}}                    # C absent: never reaches
        prof = comparison.performance_profile(times, taus=(1, 2, 4, 5))
        self.assertEqual(prof["problems"], ["p1", "p2", "p4"])
        # Ratios: p1 A 1, B 2, C ∞; p2 A 2, B 1, C 1; p4 (0 counts as 1) A 1, B 5, C ∞.
        self.assertEqual(prof["ratios"]["A"], {"p1": 1.0, "p2": 2.0, "p4": 1.0})
        self.assertEqual(prof["ratios"]["C"], {"p1": None, "p2": 1.0, "p4": None})
        self.assertEqual(prof["fractions"]["A"], [2 / 3, 1, 1, 1])
        self.assertEqual(prof["fractions"]["B"], [1 / 3, 2 / 3, 2 / 3, 1])
        self.assertEqual(prof["fractions"]["C"], [1 / 3, 1 / 3, 1 / 3, 1 / 3])

    def test_targets_and_time_to_target(self):
        self.assertEqual(comparison.choose_target(0.8, [0.9, 0.85], True), (0.8, "conv_perf"))
        self.assertEqual(comparison.choose_target(None, [0.9, 0.85], True),
                         (0.85, "worst best mean value"))
        self.assertEqual(comparison.choose_target(None, [1.5, 2.0], False),
                         (2.0, "worst best mean value"))
        ttt = comparison.time_to_target({"A": [0.1, 0.5, 0.86, 0.9], "B": [0.1, 0.2, 0.3, 0.4]},
                                        0.85, True, {"A": [2.0, 3.0, 4.0]})
        self.assertEqual(ttt["A"], {"epochs": 2, "seconds": 5.0})
        self.assertEqual(ttt["B"], {"epochs": None, "seconds": None})


def write_run(root, problem, optimizer, lr, seed, test_acc, epoch_seconds=None):
    n = len(test_acc) - 1
    setting = f"num_epochs__{n}__batch_size__128__lr__{lr}"
    d = os.path.join(root, problem, optimizer, setting)
    os.makedirs(d, exist_ok=True)
    data = {"testproblem": problem, "optimizer": optimizer, "num_epochs": n, "batch_size": 128,
            "random_seed": seed, "learning_rate": lr, "hyperparams": {}, "weight_decay": None,
            "train_losses": [1.0] * (n + 1), "test_losses": [1.0] * (n + 1),
            "test_accuracies": test_acc, "train_accuracies": test_acc,
            "minibatch_train_losses": [1.0]}
    if epoch_seconds:
        data["epoch_seconds"] = epoch_seconds
    with open(os.path.join(d, f"random_seed__{seed}__2026-01-01-00-00-00.json"), "w") as f:
        json.dump(data, f)


class SummaryAndReport(unittest.TestCase):
    def test_summary_json_and_html_hold_the_comparisons(self):
        with tempfile.TemporaryDirectory() as tmp:
            res = os.path.join(tmp, "results")
            finals_a, finals_b = [0.80, 0.82, 0.81], [0.70, 0.74, 0.72]
            for seed, (fa, fb) in enumerate(zip(finals_a, finals_b)):
                write_run(res, "fmnist_2c2d", "MomentumOptimizer", 0.01, seed,
                          [0.1, 0.5, 0.75, fa], [1.0, 1.0, 1.0])
                write_run(res, "fmnist_2c2d", "SGD", 0.1, seed, [0.1, 0.3, 0.6, fb])
                write_run(res, "mnist_mlp", "MomentumOptimizer", 0.01, seed, [0.1, 0.2, 0.3, 0.9])
                write_run(res, "mnist_mlp", "SGD", 0.1, seed, [0.1, 0.9, 0.9, 0.9])
            out = os.path.join(tmp, "report")
            report.analyze(res, output_dir=out, figures=False, log=lambda *_: None)
            with open(os.path.join(out, "summary.json")) as f:
                s = json.load(f)
            p = s["problems"]["fmnist_2c2d"]
            (pair,) = p["significance"]["pairs"]
            direct = comparison.welch(finals_b, finals_a)  # DeepOBS's order: SGD first
            self.assertEqual(pair["a"], "SGD")
            self.assertEqual(pair["b"], "Momentum")
            for key in ("n_a", "n_b", "difference", "t", "dof", "p", "effect_size", "ci95"):
                self.assertEqual(pair[key], direct[key], key)
            self.assertEqual(pair["metric"], "test_accuracies")
            self.assertIn("Welch", p["significance"]["test"])
            self.assertIn("Hedges", p["significance"]["effect_size"])
            # No conv_perf: the target is the worse best mean value, SGD's 0.72.
            ttt = p["time_to_target"]
            self.assertEqual(ttt["target_rule"], "worst best mean value")
            self.assertAlmostEqual(ttt["target"], 0.72, places=12)
            self.assertEqual(ttt["optimizers"]["Momentum"], {"epochs": 2, "seconds": 2.0})
            self.assertEqual(ttt["optimizers"]["SGD"]["epochs"], 3)
            m = s["problems"]["mnist_mlp"]["time_to_target"]["optimizers"]
            self.assertEqual((m["Momentum"]["epochs"], m["SGD"]["epochs"]), (3, 1))
            prof = s["performance_profile"]
            self.assertEqual(prof["problems"], ["fmnist_2c2d", "mnist_mlp"])
            self.assertEqual(prof["time_unit"], "epochs")
            i2, i3 = prof["tau"].index(2.0), prof["tau"].index(3.0)
            # fmnist: Momentum 1, SGD 1.5; mnist: Momentum 3, SGD 1.
            self.assertEqual(prof["fractions"]["Momentum"][0], 0.5)
            self.assertEqual(prof["fractions"]["Momentum"][i2], 0.5)
            self.assertEqual(prof["fractions"]["Momentum"][i3], 1.0)
            self.assertEqual(prof["fractions"]["SGD"][0], 0.5)
            self.assertEqual(prof["fractions"]["SGD"][i2], 1.0)
            with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
                page = f.read()
            self.assertIn("Welch&#x27;s t-test (two-sided", page)
            self.assertIn("Performance profile", page)
            self.assertIn("Time to target", page)
            # The profile figure alone (the other figures are test_runs' subject).
            ctx = report.Context({}, None, {}, "most", None, out, ["png"])
            os.makedirs(ctx.figure_dir, exist_ok=True)
            plots.plot_performance_profile(prof, ctx)
            self.assertGreater(os.path.getsize(os.path.join(out, "figures",
                                                            "performance_profile.png")), 1000)


if __name__ == "__main__":
    unittest.main()
