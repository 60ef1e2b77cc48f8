"""`deepobs prepare-baselines`: downloads the published DeepOBS 1.1 baselines."""

import os
import shutil
import subprocess
import tempfile

from deepobs_analyzer import AnalyzerError

URL = "https://github.com/fsschneider/DeepOBS_Baselines/archive/v1.1.tar.gz"


def prepare_baselines(directory="baselines_deepobs", url=URL, log=print):
    if shutil.which("curl") is None:
        raise AnalyzerError(f"cannot download {url}: curl is not installed "
                            "(apt-get install curl)")
    if shutil.which("tar") is None:
        raise AnalyzerError(f"cannot unpack {url}: tar is not installed")
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="deepobs-baselines-") as tmp:
        archive = os.path.join(tmp, "baselines.tar.gz")
        log(f"downloading {url} ...")
        p = subprocess.run(["curl", "-fsSL", "--connect-timeout", "15", "-o",
                            archive, url], capture_output=True, text=True)
        if p.returncode != 0:
            reason = " ".join(p.stderr.split()) or f"curl exit status {p.returncode}"
            raise AnalyzerError(f"cannot download {url}: {reason}")
        p = subprocess.run(["tar", "-xzf", archive, "--strip-components", "1", "-C", directory],
                           capture_output=True, text=True)
        if p.returncode != 0:
            reason = " ".join(p.stderr.split()) or f"tar exit status {p.returncode}"
            raise AnalyzerError(f"cannot unpack {url} into {directory}: {reason}")
    if not os.path.isfile(os.path.join(directory, "convergence_performance.json")):
        raise AnalyzerError(f"{directory}: unpacked, but convergence_performance.json is missing")
    log(f"baselines in {directory}; use them with 'deepobs analyze <results> --baselines "
        f"{directory}'")
    return directory
