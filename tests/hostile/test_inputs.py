"""Hostile inputs (issue 12, findings 7 and 8): each was a 500 or a hole; each is now a 4xx
naming the field (or the limit), and nothing is written.

The API through DRF's APIClient and the pages through Django's test client, with
``raise_request_exception=False`` so a 500 shows as a status, not as a test error.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SIX_MIB = 6 * 1024 * 1024
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture
def page(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


@pytest.fixture
def api(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


def post_json(client: Client, url: str, body: str | bytes):
    return client.post(url, body, content_type="application/json")


# ------------------------------------------------------------------ 1. bodies over the limit


def test_anonymous_token_endpoint_answers_413_naming_the_limit_to_a_6_mib_body():
    body = b'{"username": "' + b"a" * SIX_MIB + b'", "password": "x"}'
    r = post_json(Client(raise_request_exception=False), "/api/auth/token/", body)
    assert r.status_code == 413
    assert r["Content-Type"] == "application/json"
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in r.json()["detail"]


def test_signed_in_api_answers_413_to_a_6_mib_body(api):
    body = b'{"name": "' + b"a" * SIX_MIB + b'"}'
    r = post_json(api, "/api/strategies/", body)
    assert r.status_code == 413
    assert "5 MiB" in r.json()["detail"]


def test_unparseable_json_is_a_400(api):
    r = post_json(api, "/api/strategies/", b"{not json")
    assert r.status_code == 400
    assert "JSON parse error" in r.json()["detail"]
    r = post_json(api, "/api/strategies/", b'{"a": "\xff\xfe"}')
    assert r.status_code == 400


def test_a_page_form_over_the_limit_is_a_413_page_not_a_500(page):
    r = page.post("/portfolio/", {"symbol": "x" * SIX_MIB, "action": "buy"})
    assert r.status_code == 413
    assert b"DATA_UPLOAD_MAX_MEMORY_SIZE" in r.content


# ------------------------------------------------------------ 2. depth and magnitude of JSON


def test_json_nested_1000_deep_is_a_400_even_anonymous(api):
    r = post_json(Client(raise_request_exception=False), "/api/auth/token/", DEEP)
    assert r.status_code == 400
    assert "nested deeper than 32" in r.json()["detail"]
    r = post_json(api, "/api/strategies/", '{"strategy_json": ' + DEEP + "}")
    assert r.status_code == 400
    assert "nested deeper than 32" in r.json()["detail"]


@pytest.mark.parametrize(
    "literal", ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 400, "9007199254740993"]
)
def test_numbers_beyond_a_double_or_not_finite_are_a_400_naming_the_path(api, literal):
    body = '{"symbol": "BTCUSDT", "interval": "1h", "params": {"n_estimators": ' + literal + "}}"
    r = post_json(api, "/api/ml/models/", body)
    assert r.status_code == 400, r.content
    assert "params.n_estimators" in r.json()["detail"]


def test_strategy_params_with_an_integer_beyond_float_range_are_refused_not_a_500():
    """The engine itself (reached by the page's JSON text area too) refuses the number."""
    from engine.strategy import StrategyError, parse_strategy

    doc = {"symbol": "BTCUSDT", "indicators": {"rsi": {"period": 10**400, "buy_below": 30}}}
    with pytest.raises(StrategyError, match="indicators.rsi.period"):
        parse_strategy(doc)


def test_ml_params_with_an_integer_beyond_float_range_are_refused_by_the_engine():
    from engine.ml.train import TrainConfig, TrainingError

    config = TrainConfig(estimator="random_forest", params={"n_estimators": 10**400})
    with pytest.raises(TrainingError) as info:
        config.resolved_params()
    assert info.value.field == "params.n_estimators"


# ------------------------------------------------------- 3 and 4. query parameters and ids


@pytest.mark.parametrize("name", ["page", "page_size"])
def test_pagination_with_thousands_of_digits_is_a_400_naming_it(api, name):
    r = api.get("/api/strategies/", {name: "9" * 5000})
    assert r.status_code == 400
    assert name in r.json()


def test_lookback_with_thousands_of_digits_is_a_400(api):
    r = api.get("/api/portfolio/performance/", {"lookback": "9" * 5000})
    assert r.status_code == 400
    assert "lookback" in r.json()


@pytest.mark.parametrize("value", ["²", "9" * 5000, "0", "-1", "1.5"])
def test_portfolio_page_with_a_bad_id_is_a_400_naming_it(page, value):
    r = page.get("/portfolio/", {"portfolio": value})
    assert r.status_code == 400
    assert b"portfolio:" in r.content


@pytest.mark.parametrize("ref", ["²", "9" * 5000, "BTCUSDT_strategy_²", "BTCUSDT_strategy_" + "9" * 30])
def test_strategy_refs_that_are_no_id_are_a_404(api, page, ref):
    assert api.get(f"/api/strategies/{ref}/").status_code == 404
    assert page.get(f"/strategies/{ref}/").status_code == 404
