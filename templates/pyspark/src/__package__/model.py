"""The ML code: features and evaluation of a regression model.

Pure pandas and numpy: no Spark, cloud or MLflow imports, so that everything here runs in the
unit tests. The entry points apply these functions to Spark data (mapInPandas) and train the
Spark ML pipeline that PARAMS configures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET = "target"
DATE = "date"
CALENDAR_FEATURES = ["day_of_week", "day_of_month", "month", "is_weekend"]
PARAMS = {"max_depth": 5, "max_iter": 50, "step_size": 0.1, "seed": 0}


def add_calendar_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Calendar features from the date column (int32, so that Spark schemas stay fixed)."""
    if DATE not in frame.columns:
        raise ValueError(f"data has no {DATE!r} column")
    dates = pd.to_datetime(frame[DATE])
    out = frame.copy()
    out["day_of_week"] = dates.dt.dayofweek.astype("int32")
    out["day_of_month"] = dates.dt.day.astype("int32")
    out["month"] = dates.dt.month.astype("int32")
    out["is_weekend"] = (dates.dt.dayofweek >= 5).astype("int32")
    return out


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """Numeric feature columns: every numeric column but the target."""
    numeric = frame.drop(columns=[TARGET], errors="ignore").select_dtypes(
        include="number"
    )
    return sorted(str(c) for c in numeric.columns)


def check_training_data(frame: pd.DataFrame) -> None:
    for column in (DATE, TARGET):
        if column not in frame.columns:
            raise ValueError(f"training data has no {column!r} column")
    if frame[TARGET].isna().any():
        raise ValueError(f"{TARGET!r} has missing values")


def regression_metrics(actual: pd.Series, predicted: pd.Series) -> dict[str, float]:
    """rmse, mae and r2; the gate uses one of them (service_config.METRIC)."""
    y = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if y.shape != p.shape or y.size == 0:
        raise ValueError(
            "actual and predicted must be non-empty and of the same length"
        )
    errors = y - p
    total = float(((y - y.mean()) ** 2).sum())
    return {
        "rmse": float(np.sqrt((errors**2).mean())),
        "mae": float(np.abs(errors).mean()),
        "r2": 1.0 - float((errors**2).sum()) / total if total > 0 else 0.0,
    }


def synthetic_data(days: int = 120, stores: int = 3, seed: int = 0) -> pd.DataFrame:
    """Daily demand per store with a weekly pattern, for tests and local runs."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = []
    for store in range(stores):
        level = 50.0 + 25.0 * store
        for date in dates:
            weekend = 1.0 if date.dayofweek >= 5 else 0.0
            promo = float(rng.random() < 0.2)
            demand = level * (1.0 + 0.4 * weekend + 0.3 * promo) + rng.normal(0.0, 2.0)
            rows.append(
                {DATE: date, "store": store, "promo": promo, TARGET: round(demand, 2)}
            )
    return pd.DataFrame(rows)
