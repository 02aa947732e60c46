"""Model registry through the API: training jobs, honest metrics, predictions, integrity, isolation."""

from pathlib import Path

import pytest
from django.conf import settings

from apps.marketdata.selectors import candles_frame
from apps.ml.models import TrainedModel
from engine.ml import load_model, predict_proba_up

pytestmark = pytest.mark.django_db(transaction=True)

SMALL = {"symbol": "BTCUSDT", "interval": "1h", "params": {"n_estimators": 20}}


def _train(client, **extra):
    return client.post("/api/ml/models/", {**SMALL, **extra}, format="json")


def test_training_is_a_job_with_metrics_beside_the_baseline(user_client, btc_candles):
    r = _train(user_client)
    assert r.status_code == 202
    body = r.json()
    assert r["Location"] == body["url"] == f"/api/ml/models/{body['id']}/"
    model = user_client.get(body["url"]).json()
    assert model["status"] == "succeeded" and model["progress"] == 100.0 and model["attempts"] == 1
    m = model["metrics"]
    assert 0 <= m["accuracy"] <= 1 and model["baseline_accuracy"] == m["baseline_accuracy"]
    assert model["beats_baseline"] == (m["accuracy"] > m["baseline_accuracy"])
    assert model["train_window"][1] < model["test_window"][0]
    assert model["candles_count"] == 7477 and model["train_rows"] + model["test_rows"] > 7000
    assert set(model["importances"]) == set(model["features"])
    artifact = Path(settings.ML_ARTIFACTS_DIR) / TrainedModel.objects.get(pk=body["id"]).artifact
    assert artifact.is_file()


def test_predict_uses_the_stored_artifact(user_client, btc_candles):
    pk = _train(user_client).json()["id"]
    r = user_client.post(f"/api/ml/models/{pk}/predict/", {}, format="json")
    assert r.status_code == 200, r.json()
    body = r.json()
    model = TrainedModel.objects.get(pk=pk)
    est = load_model(
        Path(settings.ML_ARTIFACTS_DIR) / model.artifact,
        sha256=model.sha256,
        features=model.features,
    )
    expected, when = predict_proba_up(est, candles_frame(symbol="BTCUSDT", interval="1h"))
    assert body["probability_up"] == pytest.approx(expected, abs=1e-6)
    assert body["candle_time"] == "2021-06-09T23:00:00Z" and body["prediction"] in ("up", "down")
    at = user_client.post(
        f"/api/ml/models/{pk}/predict/", {"at": "2021-01-01T05:30:00Z"}, format="json"
    ).json()
    assert at["candle_time"] == "2021-01-01T05:00:00Z"


def test_a_corrupted_artifact_is_refused_and_the_model_marked_unusable(user_client, btc_candles):
    pk = _train(user_client).json()["id"]
    path = Path(settings.ML_ARTIFACTS_DIR) / TrainedModel.objects.get(pk=pk).artifact
    # A prediction first: the loaded model is cached, and the cache must notice the change.
    assert user_client.post(f"/api/ml/models/{pk}/predict/", {}, format="json").status_code == 200
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x55
    path.write_bytes(bytes(data))
    r = user_client.post(f"/api/ml/models/{pk}/predict/", {}, format="json")
    assert r.status_code == 409 and "changed since training" in r.json()["detail"]
    model = user_client.get(f"/api/ml/models/{pk}/").json()
    assert model["usable"] is False and "changed since training" in model["unusable_reason"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"symbol": "NOPE"}, "symbol"),
        ({"symbol": "bad symbol!"}, "symbol"),
        ({"interval": "4h"}, "interval"),
        ({"interval": "7h"}, "interval"),
        ({"estimator": "svm"}, "estimator"),
        ({"params": {"n_estimators": -5}}, "params.n_estimators"),
        ({"params": {"kernel": "rbf"}}, "params.kernel"),
        ({"start": "2021-06-01T00:00:00Z"}, "start"),
        ({"start": "2021-02-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}, "end"),
        ({"start": "2021-02-01T00:00:00Z", "end": "2021-02-01T00:00:00Z"}, "end"),
        ({"test_fraction": 0.9}, "test_fraction"),
        ({"seed": "abc"}, "seed"),
    ],
)
def test_bad_training_input_is_400_naming_the_field(user_client, btc_candles, payload, field):
    r = _train(user_client, **payload)
    assert r.status_code == 400, r.json()
    assert field in r.json()
    assert TrainedModel.objects.count() == 0


def test_other_users_get_404_on_your_models(user_client, other_user, btc_candles, client_for):
    pk = _train(user_client).json()["id"]
    other = client_for(other_user)
    assert other.get(f"/api/ml/models/{pk}/").status_code == 404
    assert other.post(f"/api/ml/models/{pk}/predict/", {}, format="json").status_code == 404
    assert other.delete(f"/api/ml/models/{pk}/").status_code == 404
    assert other.get("/api/ml/models/").json()["count"] == 0
    assert TrainedModel.objects.filter(pk=pk).exists()


def test_delete_removes_the_artifact(user_client, btc_candles):
    pk = _train(user_client).json()["id"]
    path = Path(settings.ML_ARTIFACTS_DIR) / TrainedModel.objects.get(pk=pk).artifact
    assert user_client.delete(f"/api/ml/models/{pk}/").status_code == 204
    assert not path.exists() and not TrainedModel.objects.filter(pk=pk).exists()


def test_pages_show_metrics_next_to_the_baseline(client, user, btc_candles, client_for):
    api = client_for(user)
    pk = _train(api).json()["id"]
    client.force_login(user)
    html = client.get(f"/ml/{pk}/").content.decode()
    model = TrainedModel.objects.get(pk=pk)
    # Ratios read as percentages: 0.5037 -> "50.37%".
    assert f"{model.metrics['accuracy'] * 100:.2f}%" in html
    assert f"{model.baseline_accuracy * 100:.2f}%" in html
    assert ("does not beat the baseline" in html) == (not model.beats_baseline)
    assert 'id="confusion"' in html and 'id="importances"' in html
    assert "BTCUSDT" in client.get("/ml/").content.decode()
    assert client.get(f"/ml/{pk + 1000}/").status_code == 404
