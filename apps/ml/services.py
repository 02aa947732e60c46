"""Model registry writes: start a training job, run it, predict with a model, delete one.

A training is a job (apps/core/jobs.py): 202 + URL, a claimed row, progress, a short
failure message, redone or failed after a worker dies. The artifact is written before
the row is marked succeeded and removed again if the row was cancelled meanwhile.
"""

from __future__ import annotations

import logging
import math
import resource
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

import engine
from apps.core.jobs import JobContext, JobStatus, job_cancel, job_enqueue, job_execute
from apps.core.validators import name_clean, window_clean
from apps.marketdata.selectors import candles_frame, symbol_get
from apps.marketdata.services import interval_clean, symbol_name_clean
from engine.ml import (
    LOOKBACK,
    MIN_TEST_ROWS,
    MIN_TRAIN_ROWS,
    ModelIntegrityError,
    TrainConfig,
    TrainingError,
    load_model,
    predict_proba_up,
    save_model,
    train_model,
)

from .models import TrainedModel

logger = logging.getLogger(__name__)


def artifacts_dir() -> Path:
    return Path(settings.ML_ARTIFACTS_DIR)


def _window_count(symbol: str, interval: str, start: datetime | None, end: datetime | None) -> int:
    from apps.marketdata.models import Candle

    qs = Candle.objects.filter(symbol__name=symbol, interval=interval)
    if start:
        qs = qs.filter(open_time__gte=start)
    if end:
        qs = qs.filter(open_time__lte=end)
    return qs.count()


def model_train_start(
    *,
    owner,
    symbol: str,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
    estimator: str = "random_forest",
    params: dict[str, Any] | None = None,
    seed: int = 42,
    test_fraction: float = 0.2,
    walk_forward_folds: int = 0,
    walk_forward_mode: str = "expanding",
    name: str = "",
) -> TrainedModel:
    """Validate everything a worker would trip over, store the job as queued, enqueue it."""
    name_clean(name)
    symbol = symbol_name_clean(symbol)
    interval = interval_clean(interval)
    if interval is None:
        raise ValidationError({"interval": ["required"]})
    window_clean(start, end, empty_ok=False)
    config = TrainConfig(
        estimator=estimator,
        params=params or {},
        seed=seed,
        n_jobs=settings.ML_N_JOBS,
        test_fraction=test_fraction,
        walk_forward_folds=walk_forward_folds,
        walk_forward_mode=walk_forward_mode,
    )
    try:
        resolved = config.resolved_params()
        config.validate()
    except TrainingError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    if symbol_get(symbol) is None:
        raise ValidationError({"symbol": [f"no market data for {symbol}; import candles first"]})
    count = _window_count(symbol, interval, start, end)
    # Usable rows n need round(n * (1 - f)) >= MIN_TRAIN_ROWS and the rest >= MIN_TEST_ROWS;
    # the features' warm-up and the unlabelled last bar cost LOOKBACK + 1 candles more.
    needed = (
        math.ceil(max(MIN_TRAIN_ROWS / (1 - test_fraction), MIN_TEST_ROWS / test_fraction))
        + LOOKBACK
        + 2
    )
    if count < needed:
        field = "interval" if count == 0 and not (start or end) else "start"
        raise ValidationError(
            {
                field: [
                    f"{count} {interval} candles of {symbol} in this window; training needs at least {needed}"
                ]
            }
        )
    with transaction.atomic():
        job = TrainedModel.objects.create(
            owner=owner,
            name=name[:120],
            symbol=symbol,
            interval=interval,
            start=start,
            end=end,
            estimator=estimator,
            params=resolved,
            seed=seed,
            test_fraction=test_fraction,
            walk_forward_folds=walk_forward_folds,
            walk_forward_mode=walk_forward_mode,
            engine_version=engine.__version__,
        )
        job_enqueue(job)
    return job


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def model_train_execute(pk: int) -> str:
    return job_execute(TrainedModel, pk, _train_body)


def _train_body(job: TrainedModel, ctx: JobContext) -> None:
    candles = candles_frame(symbol=job.symbol, interval=job.interval, start=job.start, end=job.end)
    config = TrainConfig(
        estimator=job.estimator,
        params=job.params,
        seed=job.seed,
        n_jobs=settings.ML_N_JOBS,
        test_fraction=job.test_fraction,
        walk_forward_folds=job.walk_forward_folds,
        walk_forward_mode=job.walk_forward_mode,
    )
    ctx.progress(0.01, force=True)
    try:
        result = train_model(candles, config, on_progress=lambda f: ctx.progress(0.05 + 0.9 * f))
    except TrainingError as exc:
        raise ValueError(exc.message) from None
    name = f"{job.owner_id}-{job.pk}-{uuid.uuid4().hex[:12]}.joblib"
    path = artifacts_dir() / name
    sha = save_model(
        path,
        result.model,
        features=result.features,
        meta={
            "model_id": job.pk,
            "symbol": job.symbol,
            "interval": job.interval,
            "engine_version": engine.__version__,
        },
    )
    d = result.to_dict()
    with transaction.atomic():
        finished = ctx.finish(
            features=list(result.features),
            metrics=d["metrics"],
            baseline_accuracy=d["metrics"]["baseline_accuracy"],
            beats_baseline=d["beats_baseline"],
            importances=d["importances"],
            folds=d["folds"],
            candles_count=len(candles),
            data_first=candles.index[0].to_pydatetime(),
            data_last=candles.index[-1].to_pydatetime(),
            train_window=d["train_window"],
            test_window=d["test_window"],
            train_rows=d["train_rows"],
            test_rows=d["test_rows"],
            fit_seconds=d["fit_seconds"],
            peak_memory_mb=round(_peak_rss_mb(), 1),
            artifact=name,
            sha256=sha,
            usable=True,
        )
    if not finished:
        path.unlink(missing_ok=True)
        logger.info("model %s was cancelled or taken over; artifact discarded", job.pk)


def model_load(model: TrainedModel):
    """The fitted estimator, after the integrity checks; marks the model unusable on failure."""
    if model.status != JobStatus.SUCCEEDED:
        raise ValidationError({"model": [f"the model is {model.status}, not trained"]})
    if not model.usable:
        raise ModelIntegrityError(model.unusable_reason or "the model is marked unusable")
    try:
        return load_model(
            artifacts_dir() / model.artifact, sha256=model.sha256, features=model.features
        )
    except ModelIntegrityError as exc:
        TrainedModel.objects.filter(pk=model.pk).update(usable=False, unusable_reason=str(exc))
        model.usable, model.unusable_reason = False, str(exc)
        logger.warning("model %s refused: %s", model.pk, exc)
        raise


def model_predict(*, model: TrainedModel, at: datetime | None = None) -> dict[str, Any]:
    """Probability of "up" for the bar after the latest candle (or the candle at/before ``at``)."""
    estimator = model_load(model)
    candles = candles_frame(symbol=model.symbol, interval=model.interval, end=at, last=LOOKBACK * 4)
    if candles.empty:
        raise ValidationError(
            {
                "at" if at else "model": [
                    f"no {model.interval} candles of {model.symbol} at that time"
                ]
            }
        )
    try:
        proba, when = predict_proba_up(estimator, candles)
    except ValueError as exc:
        raise ValidationError({"at" if at else "model": [str(exc)]}) from None
    return {
        "model_id": model.pk,
        "symbol": model.symbol,
        "interval": model.interval,
        "candle_time": pd.Timestamp(when).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "probability_up": round(proba, 6),
        "prediction": "up" if proba >= 0.5 else "down",
        "held_out_accuracy": (model.metrics or {}).get("accuracy"),
        "baseline_accuracy": model.baseline_accuracy,
        "beats_baseline": model.beats_baseline,
    }


def model_delete(*, model: TrainedModel) -> None:
    job_cancel(model)
    if model.artifact:
        (artifacts_dir() / model.artifact).unlink(missing_ok=True)
    model.delete()
