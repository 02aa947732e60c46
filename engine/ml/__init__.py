"""Machine learning on candles: honest features, chronological training, artifacts."""

from .artifacts import (
    ModelIntegrityError,
    file_sha256,
    load_model,
    predict_proba_up,
    predict_proba_up_series,
    save_model,
)
from .features import (
    FEATURES,
    LOOKBACK,
    build_dataset,
    build_features,
    build_labels,
    latest_features,
)
from .train import (
    ESTIMATORS,
    MIN_TEST_ROWS,
    MIN_TRAIN_ROWS,
    TrainConfig,
    TrainingError,
    TrainResult,
    chronological_split,
    evaluate,
    train_model,
)

__all__ = [
    "ESTIMATORS",
    "FEATURES",
    "LOOKBACK",
    "MIN_TEST_ROWS",
    "MIN_TRAIN_ROWS",
    "ModelIntegrityError",
    "TrainConfig",
    "TrainResult",
    "TrainingError",
    "build_dataset",
    "build_features",
    "build_labels",
    "chronological_split",
    "evaluate",
    "file_sha256",
    "latest_features",
    "load_model",
    "predict_proba_up",
    "predict_proba_up_series",
    "save_model",
    "train_model",
]
