"""Placeholder entry point of the platform base image: /opt/mlplatform/no_model_yet.py.

A service's Databricks jobs run this file until the first image of the service has been built
and promoted to the environment. It accepts the job parameters that the service's own entry
points take, says that there is nothing to do yet, and exits 0, so that a scheduled run before
the first image is a success and not an alert. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    for flag in ("--git-sha", "--image-tag", "--image-digest", "--input", "--output"):
        parser.add_argument(flag, default=None)
    # Parameters that a later version of the jobs may add are ignored as well.
    parser.parse_known_args(argv)
    service = os.environ.get("SERVICE_NAME", "unknown")
    environment = os.environ.get("SERVICE_ENVIRONMENT", "unknown")
    print(
        f"no image of service {service} has been promoted to {environment} yet:"
        " nothing to train or predict"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
