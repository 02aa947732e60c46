"""engine.ml: no look-ahead in features, chronological splits, determinism, artifact integrity."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.marketdata import read_candles
from engine.ml import (
    FEATURES,
    ModelIntegrityError,
    TrainConfig,
    TrainingError,
    build_dataset,
    build_features,
    build_labels,
    load_model,
    predict_proba_up,
    save_model,
    train_model,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return read_candles(DATA / "ETHUSDT-1h-2020-08_2021-06.csv").frame.iloc[:3000]


@pytest.mark.parametrize("t", [40, 500, 1777, 2998])
def test_changing_the_future_changes_no_feature_at_or_before_t(candles, t):
    before = build_features(candles)
    future = candles.copy()
    rng = np.random.default_rng(t)
    scale = rng.uniform(0.5, 2.0, len(future) - t - 1)
    for col in ("open", "high", "low", "close"):
        future.iloc[t + 1 :, future.columns.get_loc(col)] *= scale
    future.iloc[t + 1 :, future.columns.get_loc("volume")] *= rng.uniform(
        0.1, 10, len(future) - t - 1
    )
    after = build_features(future)
    pd.testing.assert_frame_equal(before.iloc[: t + 1], after.iloc[: t + 1])


def test_undefined_rows_are_dropped_not_zero_filled(candles):
    feats = build_features(candles)
    assert feats.iloc[:30].isna().any(axis=1).all()  # warm-up is NaN, never 0
    data = build_dataset(candles)
    assert not data.X.isna().any().any()
    assert data.X.index[0] > candles.index[30]
    assert data.X.index[-1] < candles.index[-1]  # the last bar has no label
    assert list(data.X.columns) == list(FEATURES)


def test_label_is_next_close_up():
    idx = pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC")
    c = pd.DataFrame(
        {"open": 1.0, "high": 2.0, "low": 0.5, "close": [1.0, 1.5, 1.5, 1.2], "volume": 1.0},
        index=idx,
    )
    assert build_labels(c).tolist()[:3] == [1.0, 0.0, 0.0]
    assert np.isnan(build_labels(c).iloc[-1])


def test_split_is_chronological_and_metrics_have_a_baseline(candles):
    r = train_model(candles, TrainConfig(n_jobs=1, params={"n_estimators": 20}))
    assert r.test_window[0] > r.train_window[1]
    assert r.train_rows + r.test_rows == len(build_dataset(candles))
    assert r.test_rows == pytest.approx(0.2 * (r.train_rows + r.test_rows), abs=1)
    m = r.metrics
    for key in ("accuracy", "precision", "recall", "roc_auc", "log_loss", "baseline_accuracy"):
        assert m[key] is not None
    cm = m["confusion_matrix"]
    assert cm["tn"] + cm["fp"] + cm["fn"] + cm["tp"] == r.test_rows
    assert m["accuracy"] == pytest.approx((cm["tn"] + cm["tp"]) / r.test_rows)
    assert set(r.importances) == set(FEATURES) and sum(r.importances.values()) == pytest.approx(
        1.0, abs=1e-3
    )


@pytest.mark.parametrize("estimator", ["random_forest", "gradient_boosting", "logistic_regression"])
def test_same_data_and_seed_give_the_same_metrics_and_predictions(candles, estimator):
    cfg = TrainConfig(
        estimator=estimator,
        seed=7,
        params={"n_estimators": 15} if estimator != "logistic_regression" else {},
    )
    a, b = train_model(candles, cfg), train_model(candles, cfg)
    assert a.metrics == b.metrics
    pa, _ = predict_proba_up(a.model, candles)
    pb, _ = predict_proba_up(b.model, candles)
    assert pa == pb and 0.0 <= pa <= 1.0


def test_walk_forward_folds_move_forward_in_time(candles):
    r = train_model(
        candles,
        TrainConfig(params={"n_estimators": 10}, walk_forward_folds=3, walk_forward_mode="rolling"),
    )
    assert len(r.folds) == 3
    for f in r.folds:
        assert f["test_window"][0] > f["train_window"][1]
    assert (
        r.folds[0]["test_window"][1] < r.folds[1]["test_window"][0] < r.folds[2]["test_window"][0]
    )


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (TrainConfig(estimator="svm"), "estimator"),
        (TrainConfig(params={"n_estimators": 0}), "params.n_estimators"),
        (TrainConfig(params={"bogus": 1}), "params.bogus"),
        (TrainConfig(test_fraction=0.9), "test_fraction"),
    ],
)
def test_bad_config_names_the_field(candles, config, field):
    with pytest.raises(TrainingError) as exc:
        train_model(candles, config)
    assert exc.value.field == field


def test_too_few_candles_is_refused(candles):
    with pytest.raises(TrainingError, match="usable rows"):
        train_model(candles.iloc[:200], TrainConfig())


def test_artifact_round_trip_and_tampering_is_refused(candles, tmp_path):
    r = train_model(candles, TrainConfig(params={"n_estimators": 10}))
    path = tmp_path / "m.joblib"
    sha = save_model(path, r.model, features=r.features, meta={"symbol": "ETHUSDT"})
    model = load_model(path, sha256=sha, features=r.features)
    assert predict_proba_up(model, candles) == predict_proba_up(r.model, candles)
    assert load_model(path, sha256=sha, features=r.features) is model  # cached while unchanged
    with pytest.raises(ModelIntegrityError, match="features"):
        load_model(path, sha256=sha, features=r.features[:-1])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))  # same size: the cache must still notice the change
    with pytest.raises(ModelIntegrityError, match="changed since training"):
        load_model(path, sha256=sha, features=r.features)
    path.unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        load_model(path, sha256=sha, features=r.features)


@pytest.mark.parametrize("estimator", ["random_forest", "gradient_boosting"])
def test_ensembles_report_progress_as_they_grow_and_match_a_one_shot_fit(candles, estimator):
    from engine.ml.train import build_dataset as dataset
    from engine.ml.train import chronological_split, make_estimator

    cfg = TrainConfig(estimator=estimator, seed=3, params={"n_estimators": 20})
    seen: list[float] = []
    staged = train_model(candles, cfg, on_progress=seen.append)
    assert len(seen) >= 10 and seen == sorted(seen) and seen[-1] == 1.0
    data = dataset(candles)
    cut = chronological_split(len(data), cfg.test_fraction)
    one_shot = make_estimator(cfg).fit(data.X.to_numpy()[:cut], data.y.to_numpy()[:cut])
    X_te = data.X.to_numpy()[cut:]
    assert np.array_equal(staged.model.predict_proba(X_te), one_shot.predict_proba(X_te))
