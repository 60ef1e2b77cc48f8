"""Broken inputs: each a one-line message naming the file, non-zero exit."""

import json
import os
import shutil
import tempfile
import unittest

from helpers import run_analyzer


def good_run(num_epochs=2, seed=42, lr=0.1):
    n = num_epochs + 1
    return {"testproblem": "quadratic_deep", "batch_size": 128, "num_epochs": num_epochs,
            "random_seed": seed, "weight_decay": None, "optimizer_name": "GradientDescentOptimizer",
            "optimizer_hyperparams": {"learning_rate": lr}, "training_params": {},
            "train_losses": [300.0 - i for i in range(n)], "valid_losses": [310.0 - i for i in range(n)],
            "test_losses": [310.0 - i for i in range(n)], "minibatch_train_losses": [1.0],
            "optimizer": "GradientDescentOptimizer", "learning_rate": lr, "hyperparams": {},
            "valid_is_test": True, "data_variant": "quadratic"}


class BrokenInputs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="deepobs-ana-err-")
        self.setting = os.path.join(self.tmp, "quadratic_deep", "GradientDescentOptimizer",
                                    "num_epochs__2__batch_size__128__lr__1.e-01")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, text, name="random_seed__42__2020-01-01-00-00-00.json", folder=None):
        folder = folder or self.setting
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def expect_error(self, needle, *args):
        p = run_analyzer("analyze", self.tmp, "--output_dir", os.path.join(self.tmp, "rep"),
                         "--no_figures", *args)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        lines = [ln for ln in p.stderr.splitlines() if ln.strip() and
                 "no baselines" not in ln]
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(needle, lines[0])
        self.assertNotIn("Traceback", p.stderr)
        return lines[0]

    def test_empty_folder(self):
        msg = self.expect_error(self.tmp)
        self.assertIn("no result files", msg)

    def test_missing_folder(self):
        shutil.rmtree(self.tmp)
        self.expect_error("no such folder")

    def test_truncated_json(self):
        text = json.dumps(good_run())
        path = self.write(text[: len(text) // 2])
        msg = self.expect_error(path)
        self.assertIn("truncated JSON", msg)

    def test_unequal_lengths(self):
        d = good_run()
        d["test_losses"] = d["test_losses"][:-1]
        path = self.write(json.dumps(d))
        msg = self.expect_error(path)
        self.assertIn("unequal length", msg)
        self.assertIn("test_losses has 2", msg)

    def test_missing_keys(self):
        d = good_run()
        del d["train_losses"]
        path = self.write(json.dumps(d))
        self.assertIn("train_losses", self.expect_error(path))

    def test_not_deepobs_layout(self):
        path = self.write(json.dumps(good_run()), folder=os.path.join(self.tmp, "quadratic_deep"))
        msg = self.expect_error(path)
        self.assertIn("not in the DeepOBS layout", msg)

    def test_file_directly_in_results_folder(self):
        path = self.write(json.dumps(good_run()), folder=self.tmp)
        self.assertIn("not in the DeepOBS layout", self.expect_error(path))

    def test_wrong_problem_folder(self):
        folder = os.path.join(self.tmp, "mnist_mlp", "GradientDescentOptimizer", "s")
        path = self.write(json.dumps(good_run()), folder=folder)
        self.assertIn("testproblem is 'quadratic_deep'", self.expect_error(path))

    def test_missing_baselines_folder(self):
        self.write(json.dumps(good_run()))
        self.expect_error("no such baselines folder", "--baselines",
                          os.path.join(self.tmp, "nope"))

    def test_nan_tokens_accepted(self):
        d = good_run()
        text = json.dumps(d).replace("309.0", "NaN").replace("308.0", "Infinity")
        self.write(text)
        p = run_analyzer("analyze", self.tmp, "--output_dir", os.path.join(self.tmp, "rep"),
                         "--no_figures")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_check_command(self):
        self.write(json.dumps(good_run()))
        p = run_analyzer("check", self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("quadratic_deep | GradientDescentOptimizer: 1 setting(s) with 1 seed(s)",
                      p.stdout)

    def test_prepare_baselines_offline(self):
        # No internet here: must fail with one line naming the URL (or succeed where online).
        p = run_analyzer("prepare-baselines", "--dir", os.path.join(self.tmp, "bl"), timeout=120)
        if p.returncode == 0:
            self.skipTest("the internet is reachable; the download worked")
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn("https://github.com/fsschneider/DeepOBS_Baselines/archive/v1.1.tar.gz",
                      lines[0])


class Units(unittest.TestCase):
    def test_most_falls_back_to_final(self):
        from deepobs_analyzer import analysis, loading
        tmp = tempfile.mkdtemp(prefix="deepobs-ana-unit-")
        try:
            for lr, final in ((0.1, 5.0), (0.2, 3.0)):
                folder = os.path.join(tmp, "quadratic_deep", "sgd", f"lr{lr}")
                os.makedirs(folder)
                d = good_run(lr=lr)
                d["test_losses"][-1] = final
                with open(os.path.join(folder, "random_seed__42__x.json"), "w") as f:
                    json.dump(d, f)
            opt = loading.load_tree(tmp)["quadratic_deep"].optimizers["sgd"]
            self.assertEqual(opt.canonical, "GradientDescentOptimizer")
            top = analysis.rank_settings(opt, "most", "test_losses")[0]
            self.assertEqual(top.first.learning_rate, 0.2)
            self.assertEqual(analysis.speed(top, "test_losses", 309.5), 1.0)
            self.assertEqual(analysis.speed(top, "test_losses", 1.0), 3.0)
        finally:
            shutil.rmtree(tmp)

    def test_name_mapping_and_variants(self):
        from deepobs_analyzer import analysis
        from deepobs_analyzer.naming import canonical_optimizer
        self.assertEqual(canonical_optimizer("momentum"), "MomentumOptimizer")
        self.assertEqual(canonical_optimizer("SGD"), "GradientDescentOptimizer")
        self.assertEqual(canonical_optimizer("adam"), "AdamOptimizer")
        self.assertEqual(canonical_optimizer("MyOpt"), "MyOpt")
        self.assertTrue(analysis.variant_matches_baseline("fmnist_2c2d", "fmnist"))
        self.assertFalse(analysis.variant_matches_baseline("fmnist_2c2d", "mnist"))
        self.assertTrue(analysis.variant_matches_baseline("cifar100_allcnnc",
                                                          "cifar100:legacy-offset"))
        self.assertFalse(analysis.variant_matches_baseline("cifar100_allcnnc", "cifar100:fixed"))
        self.assertFalse(analysis.variant_matches_baseline("svhn_wrn164", "svhn:full"))
        # The data order (SPEC A.5): the baselines saw TF1's one order per run.
        self.assertTrue(analysis.variant_matches_baseline("fmnist_2c2d", "fmnist:data_order=tf1"))
        self.assertFalse(analysis.variant_matches_baseline("fmnist_2c2d",
                                                           "fmnist:data_order=reshuffle"))
        self.assertTrue(analysis.variant_matches_baseline(
            "cifar100_allcnnc", "cifar100:legacy-offset:data_order=tf1"))
        self.assertFalse(analysis.variant_matches_baseline(
            "cifar100_allcnnc", "cifar100:fixed:data_order=tf1"))
        # What `deepobs run` records for --cifar100_offset and --svhn_train.
        self.assertTrue(analysis.variant_matches_baseline(
            "cifar100_allcnnc", "cifar100:offset=legacy:data_order=tf1"))
        self.assertFalse(analysis.variant_matches_baseline(
            "cifar100_allcnnc", "cifar100:offset=fixed:data_order=tf1"))
        self.assertTrue(analysis.variant_matches_baseline(
            "svhn_wrn164", "svhn:train=64000:data_order=tf1"))
        self.assertFalse(analysis.variant_matches_baseline(
            "svhn_wrn164", "svhn:train=full:data_order=tf1"))
        self.assertTrue(analysis.variant_matches_baseline("cifar10_3c3d",
                                                          "cifar10:data_order=tf1"))
        self.assertEqual(analysis.parse_data_variant("cifar100:legacy-offset:data_order=tf1"),
                         ("cifar100", ["legacy-offset"], {"data_order": "tf1"}))


if __name__ == "__main__":
    unittest.main()
