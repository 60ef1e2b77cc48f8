"""deepobs_analyzer: figures, tables and an HTML report from DeepOBS result folders.

Reads the result files of deepobs-cpp (a superset of DeepOBS 1.1 and 1.2) and DeepOBS 1.1's own
files (the published baselines) alike, and reproduces both DeepOBS analyzers (SPEC section 7).
"""

__version__ = "0.1.0"


class AnalyzerError(Exception):
    """A problem with the user's input; printed as one line, exit status 1."""
