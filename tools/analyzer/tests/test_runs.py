"""Result folders written by `deepobs run` analyse without error through `deepobs analyze`,
every figure exists, and the HTML report renders in headless Chromium."""

import glob
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

from helpers import BASELINES, DEEPOBS_BINARY

RUNS = [
    ("quadratic_deep", "sgd", lr, seed, []) for lr in ("0.01", "0.05") for seed in (42, 43)
] + [
    ("quadratic_deep", "adam", lr, seed, ["--hp", "beta1=0.9", "--hp", "beta2=0.999",
                                          "--hp", "epsilon=1e-8"])
    for lr in ("0.01", "0.1") for seed in (42, 43)
] + [
    ("two_d_branin", "momentum", lr, seed, ["--hp", f"momentum={m}", "--hp", "use_nesterov=false"])
    for lr in ("0.0001", "0.0003") for m in ("0.5", "0.9") for seed in (42, 43)
]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def png_pixels_not_blank(path):
    """Decodes the PNG (8-bit RGB/RGBA, no interlace) and checks that it has several colours."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = zlib.decompress(idat)
    bpp = {2: 3, 6: 4}.get(ctype, 3)
    stride = width * bpp + 1
    # Sample unfiltered bytes of many rows: a blank page is one value everywhere.
    values = set()
    for y in range(0, height, max(1, height // 50)):
        row = raw[y * stride + 1:(y + 1) * stride]
        values.update(row[::97])
    return width, height, len(values)


@unittest.skipUnless(DEEPOBS_BINARY and os.access(DEEPOBS_BINARY, os.X_OK),
                     "DEEPOBS_BINARY is not set to the deepobs executable (ctest sets it)")
class AnalyzeOurRuns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="deepobs-ana-runs-")
        cls.results = os.path.join(cls.tmp, "results")
        for problem, opt, lr, seed, extra in RUNS:
            subprocess.run([DEEPOBS_BINARY, "run", problem, "--optimizer", opt, "--lr", lr,
                            "-N", "3", "--random_seed", str(seed), "--output_dir", cls.results,
                            "-q", *extra], check=True, capture_output=True, timeout=120)
        cls.report = os.path.join(cls.tmp, "report")
        args = [DEEPOBS_BINARY, "analyze", cls.results, "--output_dir", cls.report,
                "--formats", "png,pdf"]
        if os.path.isdir(BASELINES):
            args += ["--baselines", BASELINES]
        cls.proc = subprocess.run(args, capture_output=True, text=True, timeout=600)

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("DEEPOBS_KEEP_TEST_REPORT"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_analyze_succeeds(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr + self.proc.stdout)
        self.assertIn("report written to", self.proc.stdout)

    def test_figures_and_tables_exist(self):
        with open(os.path.join(self.report, "summary.json")) as f:
            summary = json.load(f)
        names = [f["name"] for f in summary["figures"]]
        for must in ("performance_quadratic_deep", "performance_two_d_branin",
                     "lr_sensitivity", "tuning_rank_quadratic_deep",
                     "sensitivity_quadratic_deep_learning_rate",
                     "sensitivity_two_d_branin_momentum",
                     "sensitivity2d_two_d_branin_MomentumOptimizer_learning_rate_momentum",
                     "benchmark_small"):
            self.assertIn(must, names)
        for f in summary["figures"]:
            self.assertEqual(len(f["files"]), 2)
            for path in f["files"]:
                self.assertGreater(os.path.getsize(os.path.join(self.report, path)), 1000, path)
        self.assertTrue(os.path.isfile(os.path.join(self.report, "tables", "results_table.tex")))

    def test_summary_content(self):
        with open(os.path.join(self.report, "summary.json")) as f:
            summary = json.load(f)
        q = summary["problems"]["quadratic_deep"]["optimizers"]
        mine = [e for e in q if not e["baseline"]]
        self.assertEqual({e["optimizer"] for e in mine}, {"GradientDescentOptimizer",
                                                           "AdamOptimizer"})
        for e in mine:
            self.assertEqual(e["num_settings"], 2)
            self.assertEqual(e["num_seeds"], 2)
            self.assertEqual(len(e["performance"]["all_seeds"]), 2)
            self.assertEqual(e["num_epochs"], 3)
            if os.path.isdir(BASELINES):
                self.assertTrue(e["compared_with_baseline"])
                # 3 epochs against the baselines' 100: flagged, not silently compared.
                self.assertTrue(any("num_epochs 3 differs" in fl for fl in e["flags"]), e["flags"])
        branin = summary["problems"]["two_d_branin"]["optimizers"]
        self.assertEqual(branin[0]["num_settings"], 4)
        self.assertIn("momentum", branin[0]["hyperparameters"])

    def test_index_html_self_contained(self):
        with open(os.path.join(self.report, "index.html")) as f:
            text = f.read()
        self.assertIn("data:image/png;base64,", text)
        self.assertNotIn("http://", text.replace("http://www.w3.org", ""))
        self.assertNotIn("<script src", text)
        self.assertNotIn('<link rel="stylesheet"', text)

    def test_index_html_renders_in_chromium(self):
        exe = chromium()
        if exe is None:
            self.skipTest("chromium is not installed (tools/install-deps.sh installs it)")
        shot = os.path.join(self.tmp, "screenshot.png")
        page = "file://" + os.path.abspath(os.path.join(self.report, "index.html"))
        p = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", f"--screenshot={shot}",
                            "--window-size=1400,2000", page],
                           capture_output=True, text=True, timeout=180,
                           env=dict(os.environ, HOME=self.tmp))
        self.assertTrue(os.path.isfile(shot), p.stderr[-2000:])
        w, h, colours = png_pixels_not_blank(shot)
        self.assertEqual((w, h), (1400, 2000))
        self.assertGreater(colours, 5, "the screenshot is blank")
        keep = os.environ.get("DEEPOBS_SCREENSHOT")
        if keep:
            shutil.copy(shot, keep)


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(DEEPOBS_BINARY and os.access(DEEPOBS_BINARY, os.X_OK),
                     "DEEPOBS_BINARY is not set to the deepobs executable (ctest sets it)")
class EstimateRuntime(unittest.TestCase):
    def test_ratio_against_sgd(self):
        from deepobs_analyzer.runtime import estimate_runtime
        lines = []
        r = estimate_runtime(DEEPOBS_BINARY, "adam", test_problem="quadratic_deep", num_runs=2,
                             num_epochs=1, lr=0.01, log=lines.append)
        self.assertEqual(len(r["ratios"]), 2)
        for s, o, q in zip(r["sgd_seconds"], r["optimizer_seconds"], r["ratios"]):
            self.assertGreater(s, 0)
            self.assertAlmostEqual(q, o / s)
        self.assertTrue(any("Overhead" in line for line in lines), lines)

