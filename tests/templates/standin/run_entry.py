"""Runs an entry point of a rendered service repository with registry_standin as its registry.

usage: python run_entry.py REPOSITORY PACKAGE MODULE [ARGUMENTS...]

Puts REPOSITORY/src on the path, installs registry_standin.py (beside this file) as
PACKAGE.registry before anything imports it, then calls PACKAGE.MODULE.main(ARGUMENTS) and exits
with what it returns. Every other module of the package is the rendered one.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    repository, package, module, *arguments = argv
    sys.path.insert(0, str(Path(repository) / "src"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    standin = importlib.import_module("registry_standin")
    parent = importlib.import_module(package)
    sys.modules[f"{package}.registry"] = standin
    setattr(parent, "registry", standin)
    entry = importlib.import_module(f"{package}.{module}")
    if entry.registry is not standin:
        raise RuntimeError(f"{package}.{module} did not pick up the stand-in registry")
    return int(entry.main(arguments))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
