"""Checks that Debian's numpy, pandas and matplotlib are importable, with the install hint."""

import importlib
import sys

INSTALL_HINT = ("install them with 'apt-get install python3-matplotlib python3-numpy "
                "python3-pandas' (or run tools/install-deps.sh as root), and run the analyzer "
                "with Debian's /usr/bin/python3")


class MissingDependency(ImportError):
    pass


def require(modules=("numpy", "pandas", "matplotlib")):
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingDependency(
            f"deepobs analyzer: {sys.executable} cannot import {', '.join(missing)}; "
            + INSTALL_HINT)
