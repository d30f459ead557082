"""Small labelled data sets for the entry-point tests, written as CSV (no pyarrow needed).

usage: python make_data.py KIND OUTPUT.csv [ROWS] [SEED]

The columns are those of the sklearn template's model.synthetic_data (x1, x2, segment, label):
- signal-x1: the label follows x1 (what the first model learns);
- signal-x2: the label follows x2 instead (drift: a model of x1 ranks it at chance);
- noise:     the label ignores every feature (a model of it stays near roc_auc 0.5);
- scoring:   features only, no label (what batch prediction scores).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def make(kind: str, rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rng.normal(size=rows)
    segment = rng.choice(["a", "b", "c"], size=rows)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "segment": segment})
    if kind == "scoring":
        return frame
    if kind == "signal-x1":
        logit = 3.0 * x1
    elif kind == "signal-x2":
        logit = -3.0 * x2
    elif kind == "noise":
        logit = np.zeros(rows)
    else:
        raise SystemExit(f"unknown kind {kind!r}")
    frame["label"] = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return frame


if __name__ == "__main__":
    kind, output, *rest = sys.argv[1:]
    rows = int(rest[0]) if rest else 600
    seed = int(rest[1]) if len(rest) > 1 else 0
    make(kind, rows, seed).to_csv(output, index=False)
