"""The API's contract, operation by operation from the OpenAPI schema: credentials, query
parameters, ordering, error collection, value formats and CORS (issue 16, item 7)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from apps.core.api.base import StrictQueryMixin
from apps.strategies.services import strategy_create
from engine.tests.test_strategy import SHAPE_A

pytestmark = pytest.mark.django_db
OPEN = {("post", "/api/auth/token/"), ("get", "/api/health/"), ("get", "/api/health/ready/")}


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_setup, django_db_blocker) -> dict:
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(out))
    return yaml.safe_load(out.read_text())


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _send(client, method: str, url: str, **extra):
    body = {} if method in ("post", "put", "patch") else None
    return getattr(client, method)(url, body, format="json", **extra)


@pytest.mark.parametrize(
    "credentials",
    [{}, {"HTTP_AUTHORIZATION": "Token nope"}, {"HTTP_AUTHORIZATION": "Bearer abc"}],
    ids=["none", "bad-token", "other-scheme"],
)
def test_every_operation_answers_401_with_a_challenge_without_valid_credentials(
    schema, credentials
):
    wrong = []
    for method, path, op in _operations(schema):
        if (method, path) in OPEN:
            continue
        r = _send(APIClient(), method, _url(path), **credentials)
        if r.status_code != 401 or r.get("WWW-Authenticate") != "Token":
            wrong.append((method, path, r.status_code, r.get("WWW-Authenticate")))
        assert "401" in op["responses"], (method, path)
    assert not wrong


def test_a_session_without_its_csrf_token_is_a_403_naming_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/strategies/").status_code == 200  # reads need no token
    r = client.post("/api/strategies/validate/", {"strategy_json": SHAPE_A}, format="json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]


def test_every_operation_refuses_a_query_parameter_its_schema_does_not_list(
    schema, importer_client
):
    """Signed in with every permission an operation asks (a 401 or 403 comes first)."""
    unlisted = []
    for method, path, op in _operations(schema):
        documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        r = _send(importer_client, method, _url(path) + "?zz_unlisted=1")
        body = r.json() if r["Content-Type"] == "application/json" else {}
        if r.status_code != 400 or set(body) != {"zz_unlisted"}:
            unlisted.append((method, path, r.status_code))
            continue
        message = body["zz_unlisted"][0]
        assert all(name in message for name in documented), (method, path, message)
    assert not unlisted


def test_every_api_view_refuses_unknown_query_parameters():
    """Every view under /api/ but the schema and its docs derives from the strict base."""

    def views(resolver, prefix=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from views(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and hasattr(p.callback, "cls"):
                yield prefix + str(p.pattern), p.callback.cls

    found = {route: cls for route, cls in views(get_resolver()) if route.startswith("api/")}
    loose = {
        route
        for route, cls in found.items()
        if not issubclass(cls, StrictQueryMixin) and "Spectacular" not in cls.__name__
    }
    assert len(found) > 40 and not loose


def test_format_where_a_download_is_offered_and_a_views_extra_parameters(user_client):
    from apps.strategies.api.views import StrategyListCreateApi

    # `format` belongs to the views that export; elsewhere it is a 400 naming it, not
    # DRF's bare 404 for a renderer it does not have.
    assert user_client.get("/api/portfolio/trades/?format=json").status_code == 200
    r = user_client.get("/api/strategies/?format=csv")
    assert r.status_code == 400 and "format" in r.json()
    StrategyListCreateApi.extra_query_params = ("since",)
    try:
        assert user_client.get("/api/strategies/?since=1").status_code == 200
    finally:
        del StrategyListCreateApi.extra_query_params


def test_lists_sort_by_the_keys_the_schema_lists(schema, user, user_client):
    for name in ("b", "a", "c"):
        strategy_create(owner=user, definition=SHAPE_A, name=name)
    names = [s["name"] for s in user_client.get("/api/strategies/?ordering=name").json()["results"]]
    assert names == ["a", "b", "c"]
    r = user_client.get("/api/strategies/?ordering=-name").json()["results"]
    assert [s["name"] for s in r] == ["c", "b", "a"]
    (param,) = [
        p
        for p in schema["paths"]["/api/strategies/"]["get"]["parameters"]
        if p["name"] == "ordering"
    ]
    assert set(param["schema"]["enum"]) >= {"name", "-name", "created_at", "-updated_at"}
    for bad in ("owner", "name,created_at", ""):
        r = user_client.get(f"/api/strategies/?ordering={bad}")
        assert r.status_code == 400 and list(r.json()) == ["ordering"], bad
    assert (
        "one of: updated_at, -updated_at"
        in user_client.get("/api/strategies/?ordering=owner").json()["ordering"][0]
    )
    # Every paginated list documents its sort keys.
    lists = [
        (path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method == "get"
        and {"page", "page_size"} <= {p["name"] for p in op.get("parameters", [])}
    ]
    without = [
        path
        for path, op in lists
        if "ordering" not in {p["name"] for p in op["parameters"]}
        and not path.endswith(("/trades/", "/steps/", "/results/", "/audit/"))
    ]
    assert len(lists) > 15 and not without


def test_every_list_answer_is_paginated(schema):
    """A list is never returned bare: each 200 that is an array is a paginated envelope."""
    bare = [
        (method, path)
        for method, path, op in _operations(schema)
        for code, response in op["responses"].items()
        if code.startswith("2")
        and response.get("content", {}).get("application/json", {}).get("schema", {}).get("type")
        == "array"
    ]
    assert not bare


def test_all_field_errors_come_in_one_answer(user_client, btc_candles):
    r = user_client.post(
        "/api/backtests/",
        {"strategy": "1", "fee_rate": "x", "interval": "7m", "initial_balance": -5},
        format="json",
    )
    assert r.status_code == 400
    assert set(r.json()) == {"fee_rate", "interval", "initial_balance"}
    r = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "buy", "price": "100", "confidence": 2, "source": "x"},
        format="json",
    )
    assert r.status_code == 400 and {"confidence", "source"} <= set(r.json())
    r = user_client.post(
        "/api/agents/", {"symbol": "BTCUSDT", "strategy": "999", "model": 999}, format="json"
    )
    assert r.status_code == 400 and r.json() == {
        "strategy": ["no such strategy"],
        "model": ["no such model"],
    }


def test_services_report_every_field_at_once(user):
    from django.core.exceptions import ValidationError

    from apps.portfolio.services import order_place

    with pytest.raises(ValidationError) as caught:
        order_place(
            owner=user, symbol="BTC USDT!", action="hold", price="1", confidence=3, source="nope"
        )
    assert {"symbol", "action", "confidence", "source"} <= set(caught.value.message_dict)


MONEY = re.compile(r"^-?\d+\.\d{8}$")


def test_values_have_one_format_each(
    user, user_client, btc_candles, django_capture_on_commit_callbacks
):
    strategy = strategy_create(owner=user, definition=SHAPE_A, name="formats")
    with django_capture_on_commit_callbacks(execute=True):
        run = user_client.post("/api/backtests/", {"strategy": strategy.pk}, format="json").json()
    run = user_client.get(run["url"]).json()
    assert run["status"] == "succeeded" and run["strategy_id"] == strategy.pk
    listed = user_client.get("/api/strategies/").json()["results"][0]
    assert listed["id"] == strategy.pk and "strategy_id" not in listed
    assert listed["seed_id"] == f"BTCUSDT_strategy_{strategy.pk}"
    assert MONEY.match(run["initial_balance"]) and "compute_ms" not in run
    assert isinstance(run["compute_seconds"], float)
    m = run["metrics"]
    assert MONEY.match(m["final_balance"]) and MONEY.match(m["total_fees"])
    assert isinstance(m["sharpe"], float) and isinstance(m["max_drawdown_duration_seconds"], int)
    trades = user_client.get(f"{run['url']}trades/").json()["results"]
    for t in trades:
        for field in ("entry_price", "exit_price", "quantity", "entry_fee", "exit_fee", "pnl"):
            assert MONEY.match(t[field]), (field, t[field])
        assert t["entry_time"].endswith("Z") and isinstance(t["return_pct"], float)
        assert t["return_pct"] == round(t["return_pct"], 4)
    # A zero is written out, never "0E-8"; no float tail survives.
    order = user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "buy", "price": "30000"},
        format="json",
    )
    assert order.status_code == 201
    user_client.post(
        "/api/portfolio/orders/",
        {"symbol": "BTCUSDT", "action": "sell", "price": "30000"},
        format="json",
    )
    for url in ("/api/portfolio/", "/api/portfolio/trades/", run["url"], f"{run['url']}trades/"):
        text = user_client.get(url).content.decode()
        assert not re.search(r'"-?[0-9.]+E-?[0-9]+"', text), url
        assert not re.search(r"[0-9]\.[0-9]*0000000[1-9]", text), url
    (trade,) = user_client.get("/api/portfolio/trades/").json()["results"]
    assert "duration" not in trade and isinstance(trade["duration_seconds"], float)
    assert Decimal(trade["pnl"]) < 0  # fees


def test_chart_data_gives_epoch_seconds_in_fields_named_so(user, user_client, btc_candles):
    candles = user_client.get(
        "/api/market-data/candles/", {"symbol": "BTCUSDT", "interval": "1h", "limit": 3}
    ).json()
    assert "t" not in candles and len(candles["time_epoch_s"]) == 3
    assert candles["time_epoch_s"][1] - candles["time_epoch_s"][0] == 3600
    history = user_client.get("/api/portfolio/").json()["history"]
    assert history and all(set(p) == {"time_epoch_s", "total", "cash"} for p in history)
    assert history[-1]["time_epoch_s"] < 10**10  # seconds, not milliseconds


LOCAL_ORIGINS = [r"^http://localhost:[0-9]+$", r"^http://127\.0\.0\.1:[0-9]+$"]


@pytest.mark.parametrize("origin", ["http://127.0.0.1:5173", "http://localhost:3000"])
def test_local_dev_origins_may_call_the_api_and_read_location(origin, user_client):
    from tradingsite.settings import local

    assert local.CORS_ALLOWED_ORIGIN_REGEXES == LOCAL_ORIGINS
    with override_settings(CORS_ALLOWED_ORIGIN_REGEXES=local.CORS_ALLOWED_ORIGIN_REGEXES):
        pre = user_client.options(
            "/api/backtests/",
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
        )
        assert pre["Access-Control-Allow-Origin"] == origin
        assert "idempotency-key" in pre["Access-Control-Allow-Headers"]
        r = user_client.get("/api/strategies/", HTTP_ORIGIN=origin)
        assert r["Access-Control-Allow-Origin"] == origin
        assert "Location" in r["Access-Control-Expose-Headers"]
        evil = user_client.get("/api/strategies/", HTTP_ORIGIN="http://localhost.evil.example")
        assert "Access-Control-Allow-Origin" not in evil


def test_without_configuration_no_other_origin_is_allowed(user_client):
    r = user_client.get("/api/strategies/", HTTP_ORIGIN="http://127.0.0.1:5173")
    assert "Access-Control-Allow-Origin" not in r
