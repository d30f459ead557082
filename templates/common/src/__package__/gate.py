"""Validation gate: whether a newly trained model may become the champion.

Managed by the ML platform; pure code, tested in tests/test_gate.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def is_better(candidate: float, reference: float, direction: str) -> bool:
    """Whether candidate is strictly better than reference in the given direction."""
    if direction == "maximize":
        return candidate > reference
    if direction == "minimize":
        return candidate < reference
    raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")


def decide(
    metric: str,
    candidate: float,
    champion: float | None,
    threshold: float | None,
    direction: str,
) -> GateDecision:
    """Promote only a finite score that meets the threshold and beats the champion."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if not math.isfinite(candidate):
        return GateDecision(False, f"{metric} of the new model is {candidate}")
    if threshold is not None and not (
        candidate == threshold or is_better(candidate, threshold, direction)
    ):
        return GateDecision(
            False,
            f"{metric}={candidate:.6g} does not meet the threshold {threshold:.6g}"
            f" ({direction})",
        )
    if champion is not None and math.isfinite(champion):
        if not is_better(candidate, champion, direction):
            return GateDecision(
                False,
                f"{metric}={candidate:.6g} does not beat the champion's {champion:.6g}"
                f" ({direction})",
            )
        return GateDecision(
            True, f"{metric}={candidate:.6g} beats the champion's {champion:.6g}"
        )
    return GateDecision(True, f"{metric}={candidate:.6g} and no champion yet")
