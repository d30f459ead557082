"""Which commit and image a run comes from: the job parameters, checked against the image.

Managed by the ML platform; pure code, tested in tests/test_provenance.py.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Defaults of the Databricks job parameters, used before the pipeline first trains.
UNKNOWN = ("", "unknown", "bootstrap")
# An image digest as registries print it (`docker inspect`, ECR): the image's content address.
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Provenance:
    git_sha: str
    image_tag: str
    image_digest: str


def parse_args(argv: Sequence[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--git-sha", default="unknown", help="commit the image was built from"
    )
    parser.add_argument(
        "--image-tag", default="unknown", help="tag of the image that runs"
    )
    parser.add_argument(
        "--image-digest",
        default="unknown",
        help="digest (sha256:...) of the image that runs",
    )
    parser.add_argument(
        "--input", default=None, help="input data (defaults per entry point)"
    )
    parser.add_argument(
        "--output", default=None, help="output location (defaults per entry point)"
    )
    return parser.parse_args(argv)


def resolve(
    git_sha: str,
    image_tag: str,
    environ: Mapping[str, str],
    image_digest: str = "unknown",
) -> Provenance:
    """The job's parameters, or the values baked into the image when the job gave none.

    A job that names another commit than the image was built from points at the wrong image:
    that is an error, so that no run is ever recorded under the wrong commit. The digest is
    never baked in (an image cannot contain its own digest): it comes from the job only.
    """
    baked_sha = environ.get("GIT_SHA", "unknown")
    baked_tag = environ.get("IMAGE_TAG", "unknown")
    sha = baked_sha if git_sha in UNKNOWN else git_sha
    tag = baked_tag if image_tag in UNKNOWN else image_tag
    if baked_sha not in UNKNOWN and sha != baked_sha:
        raise ValueError(
            f"the job asked for commit {sha} but the image was built from {baked_sha}; "
            "start training from the pipeline (commit with the training keyword)"
        )
    digest = "unknown" if image_digest in UNKNOWN else image_digest
    if digest != "unknown" and not DIGEST.match(digest):
        raise ValueError(
            f"--image-digest {digest!r} is not an image digest (sha256: and 64 hex digits)"
        )
    return Provenance(git_sha=sha, image_tag=tag, image_digest=digest)
