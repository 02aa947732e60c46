import pytest
from django.core.management import call_command

from apps.marketdata.models import Candle, CandleImport

pytestmark = pytest.mark.django_db


def test_health_is_open_and_readiness_reports_database_and_eager_broker(api_client):
    r = api_client.get("/api/health/")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["version"]
    r = api_client.get("/api/health/ready/")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] in ("eager", "ok")
    assert body["version"]


def test_token_auth_flow(api_client, user):
    bad = api_client.post("/api/auth/token/", {"username": "alice", "password": "wrong"})
    assert bad.status_code == 400 and "non_field_errors" in bad.json()
    token = api_client.post(
        "/api/auth/token/", {"username": "alice", "password": "alice-pass-123"}
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/market-data/symbols/").status_code == 200


def test_login_page_signs_in_and_throttles_guessing(client, user, settings):
    r = client.post("/accounts/login/", {"username": "alice", "password": "alice-pass-123"})
    assert r.status_code == 302 and r["Location"] == "/"
    client.logout()
    from django.core.cache import cache

    cache.clear()
    codes = [
        client.post("/accounts/login/", {"username": "alice", "password": "nope"}).status_code
        for _ in range(settings.LOGIN_MAX_FAILURES)
    ]
    # The failure that reaches the limit locks alice out from this address and says so.
    assert codes == [200] * (settings.LOGIN_MAX_FAILURES - 1) + [429]
    r = client.post("/accounts/login/", {"username": "alice", "password": "alice-pass-123"})
    assert r.status_code == 429 and "Too many failed sign-in attempts" in r.content.decode()
    assert 0 < int(r["Retry-After"]) <= settings.LOGIN_LOCKOUT_MINUTES * 60
    cache.clear()


def test_openapi_schema_and_docs_render(user_client):
    schema = user_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/market-data/candles/" in schema.json()["paths"]
    assert user_client.get("/api/docs/").status_code == 200


def test_load_demo_is_idempotent(transactional_db):
    call_command("load_demo")
    count = Candle.objects.count()
    assert count == 43780 + 1604 + 7477 + 10999 + 14397 + 2148
    call_command("load_demo")
    assert Candle.objects.count() == count
    assert CandleImport.objects.filter(source="demo", status="succeeded").count() == 6
    from django.contrib.auth import get_user_model

    demo = get_user_model().objects.get(username="demo")
    assert demo.has_perm("marketdata.import_candles") and demo.check_password("demo-pass-2024")
    from apps.ml.models import TrainedModel

    models = TrainedModel.objects.filter(owner=demo, status="succeeded")
    assert sorted(models.values_list("symbol", flat=True)) == [
        "BTCUSDT",
        "BTCUSDT-PERP",
        "ETHBTC",
        "ETHUSDT",
    ]
    assert all(m.baseline_accuracy is not None and m.usable for m in models)


def test_api_errors_are_json_without_tracebacks(user_client, monkeypatch):
    from apps.marketdata.api import views

    def boom(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "symbol_list", boom)
    r = user_client.get("/api/market-data/symbols/")
    assert r.status_code == 500
    assert "secret internals" not in r.content.decode() and r.json()["detail"].startswith(
        "Internal server error"
    )
