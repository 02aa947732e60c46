"""Training and honest evaluation: chronological splits, a baseline beside every metric.

The split is chronological: the first 80% of rows train, the last 20% test, never
shuffled, so the test period lies entirely after the training period. Optional
walk-forward folds (expanding or rolling window) report how the metrics hold up
across time. The baseline is the majority class *of the training rows* predicted for
every test row: a model is only interesting if it beats that.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .features import FEATURES, build_dataset

ESTIMATORS: dict[str, dict[str, Any]] = {
    "random_forest": {"n_estimators": 100, "max_depth": None, "min_samples_leaf": 1},
    "gradient_boosting": {"n_estimators": 100, "learning_rate": 0.1, "max_depth": 3},
    "logistic_regression": {"C": 1.0, "max_iter": 1000},
}
ALLOWED_PARAMS: dict[str, dict[str, tuple[type, float | None, float | None]]] = {
    "random_forest": {
        "n_estimators": (int, 1, 2000),
        "max_depth": (int, 1, 200),
        "min_samples_leaf": (int, 1, 10_000),
    },
    "gradient_boosting": {
        "n_estimators": (int, 1, 2000),
        "learning_rate": (float, 1e-4, 10.0),
        "max_depth": (int, 1, 50),
    },
    "logistic_regression": {"C": (float, 1e-6, 1e6), "max_iter": (int, 10, 100_000)},
}
MIN_TRAIN_ROWS = 200
MIN_TEST_ROWS = 50


class TrainingError(ValueError):
    """Bad training input; ``field`` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TrainConfig:
    estimator: str = "random_forest"
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 42
    n_jobs: int = 1
    test_fraction: float = 0.2
    walk_forward_folds: int = 0
    walk_forward_mode: str = "expanding"  # or "rolling"

    def resolved_params(self) -> dict[str, Any]:
        """Defaults merged with the user's params, each checked for type and range."""
        if self.estimator not in ESTIMATORS:
            raise TrainingError(
                "estimator",
                f"unknown estimator {self.estimator!r}; choose one of {', '.join(ESTIMATORS)}",
            )
        out = dict(ESTIMATORS[self.estimator])
        allowed = ALLOWED_PARAMS[self.estimator]
        for key, value in (self.params or {}).items():
            if key not in allowed:
                raise TrainingError(
                    f"params.{key}",
                    f"not a parameter of {self.estimator}; allowed: {', '.join(allowed)}",
                )
            kind, lo, hi = allowed[key]
            if value is None and key == "max_depth":
                out[key] = None
                continue
            # Checked without float(): an int beyond a double's range overflowed it (a 500).
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (isinstance(value, float) and not math.isfinite(value))
                or (kind is int and isinstance(value, float) and not value.is_integer())
            ):
                raise TrainingError(
                    f"params.{key}", f"must be {'an integer' if kind is int else 'a number'}"
                )
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise TrainingError(f"params.{key}", f"must be between {lo} and {hi}")
            out[key] = kind(value)
        return out

    def validate(self) -> None:
        self.resolved_params()
        if not 0.05 <= self.test_fraction <= 0.5:
            raise TrainingError("test_fraction", "must be between 0.05 and 0.5")
        if not 0 <= self.walk_forward_folds <= 20:
            raise TrainingError("walk_forward_folds", "must be between 0 and 20")
        if self.walk_forward_mode not in ("expanding", "rolling"):
            raise TrainingError("walk_forward_mode", "must be 'expanding' or 'rolling'")
        if not 1 <= self.n_jobs <= 64 and self.n_jobs != -1:
            raise TrainingError("n_jobs", "must be -1 or between 1 and 64")


def make_estimator(config: TrainConfig):
    params = config.resolved_params()
    if config.estimator == "random_forest":
        return RandomForestClassifier(random_state=config.seed, n_jobs=config.n_jobs, **params)
    if config.estimator == "gradient_boosting":
        return GradientBoostingClassifier(random_state=config.seed, **params)
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(random_state=config.seed, **params)),
        ]
    )


def _importances(model, features: tuple[str, ...]) -> dict[str, float]:
    est = model.named_steps["clf"] if isinstance(model, Pipeline) else model
    if hasattr(est, "feature_importances_"):
        values = np.asarray(est.feature_importances_, dtype="float64")
    else:
        values = np.abs(np.asarray(est.coef_, dtype="float64")).ravel()
        total = values.sum()
        values = values / total if total > 0 else values
    return {f: round(float(v), 6) for f, v in zip(features, values, strict=True)}


def _none_if_nan(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def evaluate(y_true: np.ndarray, proba_up: np.ndarray, baseline_class: int) -> dict[str, Any]:
    """Held-out metrics with the majority-class baseline on the same rows."""
    y_true = np.asarray(y_true, dtype="int64")
    pred = (proba_up >= 0.5).astype("int64")
    both = len(np.unique(y_true)) == 2
    cm = confusion_matrix(y_true, pred, labels=[0, 1])
    return {
        "rows": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, pred)),
        "precision": float(precision_score(y_true, pred, zero_division=0)),
        "recall": float(recall_score(y_true, pred, zero_division=0)),
        "roc_auc": _none_if_nan(roc_auc_score(y_true, proba_up)) if both else None,
        "log_loss": _none_if_nan(
            log_loss(y_true, np.clip(proba_up, 1e-15, 1 - 1e-15), labels=[0, 1])
        ),
        "baseline_class": int(baseline_class),
        "baseline_accuracy": float(np.mean(y_true == baseline_class)),
        "up_share": float(np.mean(y_true)),
        "confusion_matrix": {
            "tn": int(cm[0, 0]),
            "fp": int(cm[0, 1]),
            "fn": int(cm[1, 0]),
            "tp": int(cm[1, 1]),
        },
    }


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TrainResult:
    model: Any
    features: tuple[str, ...]
    estimator: str
    params: dict[str, Any]
    seed: int
    metrics: dict[str, Any]
    importances: dict[str, float]
    train_window: tuple[pd.Timestamp, pd.Timestamp]
    test_window: tuple[pd.Timestamp, pd.Timestamp]
    train_rows: int
    test_rows: int
    folds: list[dict[str, Any]]
    fit_seconds: float

    @property
    def beats_baseline(self) -> bool:
        return self.metrics["accuracy"] > self.metrics["baseline_accuracy"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "estimator": self.estimator,
            "params": self.params,
            "seed": self.seed,
            "metrics": self.metrics,
            "beats_baseline": self.beats_baseline,
            "importances": self.importances,
            "train_window": [_iso(self.train_window[0]), _iso(self.train_window[1])],
            "test_window": [_iso(self.test_window[0]), _iso(self.test_window[1])],
            "train_rows": self.train_rows,
            "test_rows": self.test_rows,
            "folds": self.folds,
            "fit_seconds": round(self.fit_seconds, 3),
        }


def chronological_split(n: int, test_fraction: float) -> int:
    """Index of the first test row: everything before it trains."""
    return int(round(n * (1.0 - test_fraction)))


FIT_STAGES = 10


def _fit(model, X, y, on_fraction: Callable[[float], None]) -> None:
    """Fit, reporting progress as the ensemble grows.

    Tree ensembles are grown in stages with ``warm_start``: scikit-learn draws each new
    tree's seed as if the whole forest had been fitted at once (and boosting stages are
    sequential anyway), so the staged model is identical to a one-shot fit; only the
    progress callback sees the difference. Other estimators fit in one step.
    """
    if not isinstance(model, RandomForestClassifier | GradientBoostingClassifier):
        model.fit(X, y)
        on_fraction(1.0)
        return
    total = model.n_estimators
    stages = sorted({max(1, round(total * k / FIT_STAGES)) for k in range(1, FIT_STAGES + 1)})
    model.set_params(warm_start=True)
    for n in stages:
        model.set_params(n_estimators=n)
        model.fit(X, y)
        on_fraction(n / total)
    model.set_params(warm_start=False)


def _fit_predict(
    config: TrainConfig, X_tr, y_tr, X_te, on_fraction: Callable[[float], None] | None = None
) -> tuple[Any, np.ndarray]:
    model = make_estimator(config)
    _fit(model, X_tr, y_tr, on_fraction or (lambda _f: None))
    classes = list(model.classes_)
    proba = model.predict_proba(X_te)
    up = proba[:, classes.index(1)] if 1 in classes else np.zeros(len(X_te))
    return model, up


def train_model(
    candles: pd.DataFrame,
    config: TrainConfig,
    on_progress: Callable[[float], None] | None = None,
) -> TrainResult:
    """Fit on the first part, evaluate on the last, optionally walk forward; then return the
    model fitted on the training part (the one whose metrics are reported)."""
    config.validate()
    report = on_progress or (lambda _f: None)
    data = build_dataset(candles)
    n = len(data)
    cut = chronological_split(n, config.test_fraction)
    if cut < MIN_TRAIN_ROWS or n - cut < MIN_TEST_ROWS:
        raise TrainingError(
            "start",
            f"{len(candles)} candles give {n} usable rows; training needs at least "
            f"{MIN_TRAIN_ROWS} training and {MIN_TEST_ROWS} test rows (widen the window)",
        )
    X, y = data.X.to_numpy(), data.y.to_numpy()
    folds: list[dict[str, Any]] = []
    k = config.walk_forward_folds
    steps = k + 1
    report(0.02)
    if k:
        # k consecutive test blocks covering the last two thirds of the rows; each block's
        # model trains only on rows before it (all of them, or a window of fixed length).
        block = (n - cut) if k == 1 else max((n - n // 3) // k, MIN_TEST_ROWS)
        first_test = n - block * k
        if first_test < MIN_TRAIN_ROWS:
            raise TrainingError("walk_forward_folds", f"too many folds for {n} rows")
        for i in range(k):
            te0, te1 = first_test + i * block, first_test + (i + 1) * block
            tr0 = 0 if config.walk_forward_mode == "expanding" else max(0, te0 - first_test)
            _, up = _fit_predict(
                config,
                X[tr0:te0],
                y[tr0:te0],
                X[te0:te1],
                lambda f, i=i: report(0.02 + 0.96 * (i + f) / steps),
            )
            baseline = int(np.mean(y[tr0:te0]) >= 0.5)
            m = evaluate(y[te0:te1], up, baseline)
            m.update(
                {
                    "fold": i + 1,
                    "train_window": [_iso(data.X.index[tr0]), _iso(data.X.index[te0 - 1])],
                    "test_window": [_iso(data.X.index[te0]), _iso(data.X.index[te1 - 1])],
                }
            )
            folds.append(m)
    t0 = time.perf_counter()
    model, up = _fit_predict(
        config, X[:cut], y[:cut], X[cut:], lambda f: report(0.02 + 0.96 * (k + f) / steps)
    )
    fit_seconds = time.perf_counter() - t0
    baseline = int(np.mean(y[:cut]) >= 0.5)
    metrics = evaluate(y[cut:], up, baseline)
    report(1.0)
    return TrainResult(
        model=model,
        features=FEATURES,
        estimator=config.estimator,
        params=config.resolved_params(),
        seed=config.seed,
        metrics=metrics,
        importances=_importances(model, FEATURES),
        train_window=(data.X.index[0], data.X.index[cut - 1]),
        test_window=(data.X.index[cut], data.X.index[-1]),
        train_rows=cut,
        test_rows=n - cut,
        folds=folds,
        fit_seconds=fit_seconds,
    )
