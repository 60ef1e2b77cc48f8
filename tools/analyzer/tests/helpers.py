"""Shared test helpers: paths from the environment, dependency check with the install hint."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ANALYZER_DIR = os.path.dirname(HERE)
SOURCE_DIR = os.path.dirname(os.path.dirname(ANALYZER_DIR))
SHARED_DIR = os.environ.get("DEEPOBS_SHARED_DIR", os.path.join(SOURCE_DIR, "..", "shared"))
BASELINES = os.path.join(SHARED_DIR, "baselines", "deepobs")
DEEPOBS_BINARY = os.environ.get("DEEPOBS_BINARY")

if ANALYZER_DIR not in sys.path:
    sys.path.insert(0, ANALYZER_DIR)

from deepobs_analyzer.deps import require  # noqa: E402

require()  # fails the test module with the install hint when numpy/pandas/matplotlib are missing


def run_analyzer(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=ANALYZER_DIR, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "deepobs_analyzer", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)
