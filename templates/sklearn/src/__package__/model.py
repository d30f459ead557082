"""The ML code: features, training and evaluation of a binary classifier.

Pure Python, pandas and scikit-learn: no cloud or MLflow imports, so that everything here runs
in the unit tests. The entry points read the data, call these functions and record the results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

LABEL = "label"
PARAMS = {"C": 1.0, "max_iter": 500}


def feature_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns: every column but the label."""
    features = frame.drop(columns=[LABEL], errors="ignore")
    numeric = sorted(features.select_dtypes(include="number").columns)
    categorical = sorted(c for c in features.columns if c not in numeric)
    return [str(c) for c in numeric], [str(c) for c in categorical]


def check_training_data(frame: pd.DataFrame) -> None:
    if LABEL not in frame.columns:
        raise ValueError(f"training data has no {LABEL!r} column")
    labels = set(frame[LABEL].dropna().unique())
    if not labels <= {0, 1} or len(labels) != 2:
        raise ValueError(
            f"{LABEL!r} must hold both classes 0 and 1, got {sorted(labels)}"
        )
    if frame[LABEL].isna().any():
        raise ValueError(f"{LABEL!r} has missing values")


def build_pipeline(numeric: list[str], categorical: list[str]) -> Pipeline:
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    classifier = LogisticRegression(C=PARAMS["C"], max_iter=PARAMS["max_iter"])
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


def split(
    frame: pd.DataFrame, test_size: float = 0.25, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified train/test split, reproducible for a seed."""
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame[LABEL]
    )
    return train, test


def train(frame: pd.DataFrame) -> Pipeline:
    check_training_data(frame)
    numeric, categorical = feature_columns(frame)
    pipeline = build_pipeline(numeric, categorical)
    pipeline.fit(frame.drop(columns=[LABEL]), frame[LABEL])
    return pipeline


def predict_scores(model: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """Probability of the positive class for each row."""
    return np.asarray(
        model.predict_proba(frame.drop(columns=[LABEL], errors="ignore"))[:, 1]
    )


def evaluate(model: Pipeline, frame: pd.DataFrame) -> dict[str, float]:
    """Metrics on labelled data; the gate uses one of them (service_config.METRIC)."""
    scores = predict_scores(model, frame)
    labels = frame[LABEL].to_numpy()
    predicted = (scores >= 0.5).astype(int)
    return {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "accuracy": float(accuracy_score(labels, predicted)),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "log_loss": float(log_loss(labels, scores, labels=[0, 1])),
    }


def synthetic_data(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A small labelled data set with a learnable signal, for tests and local runs."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rng.normal(size=rows)
    segment = rng.choice(["a", "b", "c"], size=rows)
    logit = 2.0 * x1 - 1.0 * x2 + np.where(segment == "a", 1.0, -0.5)
    label = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "segment": segment, LABEL: label})
