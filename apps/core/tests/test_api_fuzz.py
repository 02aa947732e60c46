"""Schemathesis against the project's own OpenAPI schema, in-process, as a signed-in user.

Every operation of /api/schema/ is exercised with every built-in check (no server errors,
status codes, content types, response schemas and headers, negative data rejected,
authentication enforced, undeclared methods answered 405, ...). The user owns demo-like
data (candles, strategies, a finished backtest and sweep, a trained model, agents with a
signal, a portfolio with orders and a closed trade, a Mother AI decision, a Binance key, a
sync and a schedule), so ids in paths exist.

The data is made once per module inside a transaction that is rolled back at the end; each
operation runs in a nested transaction and each generated request in a savepoint, both
rolled back, so every request sees the same starting data and a failure replays exactly.
Job-creating operations (backtests, sweeps, trainings, syncs) answer 202 and leave their row
queued, as with a broker whose workers are busy: `transaction.on_commit` never fires inside
a rolled-back transaction, so the fuzz checks the HTTP layer, not the engines (their own
tests run them). Binance calls go to the local fake exchange.

Deterministic (fixed seed, derandomized). `FUZZ_EXAMPLES=200` for a deeper run.
"""

from __future__ import annotations

import os
import re
import zlib
from datetime import UTC, datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import TestCase, override_settings
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from apps.binance.tests.fakeserver import FakeBinance
from conftest import BTC_1H, ETH_1H

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "20240611"))
KEY = "FuzzKey0123456789abcdefWXYZ"
SECRET = "FuzzSecret9f8e7d6c5b4a3210ZZ"
PASSWORD = "fuzz-pass-2024"
# The latest candles of each shipped 1h file: enough for the strategies' 4h EMA(50), a
# model's warm-up and split, few enough to keep every synchronous endpoint quick.
CANDLES = 1200


class _App:
    """The project's WSGI application without the per-request connection reset (Django's test
    client switches it off the same way): requests must run inside the test's transaction."""

    def __init__(self):
        self.handler = get_wsgi_application()

    def __call__(self, environ, start_response):
        # The in-process transport hands the body over as sent and never undoes a
        # Content-Encoding (an HTTP client does): ask for the plain body.
        environ.pop("HTTP_ACCEPT_ENCODING", None)
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return self.handler(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


APP = _App()
# Operations whose valid-by-schema requests can still be refused with a 400 naming the field,
# because the rule is about stored data or several fields at once, which OpenAPI cannot
# state. Everywhere else a request the schema allows must be accepted (2xx, or 404 for an
# id that is not yours).
RULES_BEYOND_THE_SCHEMA = {
    ("POST", "/api/agents/"): "the strategy and model must be yours, one agent per symbol",
    ("POST", "/api/backtests/"): "a saved strategy or an inline one, candles in the window",
    ("POST", "/api/backtests/sweeps/"): "as a backtest, and grid paths inside the strategy",
    ("POST", "/api/binance/connect/"): "the exchange must accept the key",
    ("GET", "/api/binance/ohlcv/"): "the exchange must list the symbol",
    ("POST", "/api/binance/syncs/"): "end after start",
    ("GET", "/api/market-data/candles/"): "the indicator list's grammar",
    ("POST", "/api/market-data/imports/"): "the file must be a candle file",
    ("POST", "/api/ml/models/"): "enough candles to train on",
    ("GET", "/api/mother-ai/decision/"): "alpha + beta = 1",
    ("POST", "/api/mother-ai/decision/"): "alpha + beta = 1",
    ("POST", "/api/portfolio/orders/"): "a price > 0 or candles to price at, cash or a position",
    ("POST", "/api/portfolio/portfolios/"): "amounts in range, a new name",
    ("POST", "/api/strategies/"): "the strategy language",
    ("PUT", "/api/strategies/{ref}/"): "the strategy language",
    ("PATCH", "/api/strategies/{ref}/"): "the strategy language",
    ("POST", "/api/strategies/validate/"): "the strategy language",
}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
# Path parameters that name the fuzz user's objects, by operation path; filled in when the
# data exists.
KNOWN: dict[str, dict[str, str]] = {}
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    APP,
    config=schemathesis.config.SchemathesisConfig.from_dict(
        {
            "seed": FUZZ_SEED,
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            "operations": [
                {
                    "include-method": method,
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}
                    },
                }
                for method, path in RULES_BEYOND_THE_SCHEMA
            ],
            "generation": {
                "max-examples": FUZZ_EXAMPLES,
                "deterministic": True,
                # The signed-in user's token is sent with every request; invented session
                # cookies or tokens beside it would only blur which credential was used.
                "with-security-parameters": False,
            },
        }
    ),
)


@schema.hook
def map_case(context, case):
    """Point most valid path ids at the user's own objects, so the found path (and its response
    schema) is exercised, not only 404s; about one in four keeps the generated id. Invalid
    path values are left alone: they must still be refused."""
    known = KNOWN.get(case.operation.path)
    if not known or case.meta is None or case.meta.is_negative_at(ParameterLocation.PATH):
        return case
    params = dict(case.path_parameters or {})
    for name, value in known.items():
        if name in params and zlib.crc32(str(params[name]).encode()) % 4:
            params[name] = value
    case.path_parameters = params
    return case


def _tail(path, n: int) -> bytes:
    return ("\n".join(path.read_text().splitlines()[-n:]) + "\n").encode()


def _demo_like_data(user) -> dict[str, dict[str, str]]:
    """A small apps.dashboard.demo: every kind of object, owned by ``user``; jobs run inline."""
    from apps.agents.services import agent_create, agent_evaluate
    from apps.backtests.services import backtest_create, sweep_create
    from apps.binance.services import credential_connect, kline_sync_start, schedule_save
    from apps.dashboard.demo import DEMO_STRATEGIES
    from apps.marketdata.models import CandleImport
    from apps.marketdata.services import candles_import
    from apps.ml.services import model_train_start
    from apps.motherai.services import decision_make
    from apps.portfolio.services import order_place, portfolio_get_or_create_default
    from apps.strategies.services import strategy_create

    for path, symbol in ((BTC_1H, "BTCUSDT"), (ETH_1H, "ETHUSDT")):
        record = candles_import(
            source=_tail(path, CANDLES), symbol=symbol, interval="1h", user=user
        )
        assert record.status == "succeeded", record.error
    strategies = {
        item["name"]: strategy_create(
            owner=user, definition=item["definition"], name=item["name"], notes=item["notes"]
        )
        for item in DEMO_STRATEGIES
    }
    crossover = strategies["BTC RSI + EMA crossover"].pk
    crossover_name = strategies["BTC RSI + EMA crossover"].name
    with TestCase.captureOnCommitCallbacks(execute=True):
        jobs = [
            model_train_start(
                owner=user, symbol="BTCUSDT", interval="1h", params={"n_estimators": 10}
            ),
            backtest_create(owner=user, strategy=crossover),
            sweep_create(owner=user, strategy=crossover, grid={"indicators.rsi.period": [7, 14]}),
            kline_sync_start(
                owner=user,
                symbol="BTCUSDT",
                interval="1h",
                start=datetime(2021, 5, 1, tzinfo=UTC),
                end=datetime(2021, 5, 3, tzinfo=UTC),
            ),
        ]
    for job in jobs:
        job.refresh_from_db()
        assert job.status == "succeeded", (type(job).__name__, job.error)
    credential_connect(owner=user, api_key=KEY, secret=SECRET)
    schedule = schedule_save(
        owner=user, symbol="ETHUSDT", interval="1h", start=datetime(2021, 5, 1, tzinfo=UTC)
    )
    btc = agent_create(
        owner=user, symbol="BTCUSDT", strategy=strategies["RSI dip in uptrend"], model=jobs[0]
    )
    agent_create(owner=user, symbol="ETHUSDT", strategy=strategies["ETH MACD momentum"])
    agent_evaluate(btc, store=True)
    portfolio_get_or_create_default(owner=user)
    # The candles are historical, so their latest close is stale: the orders give a price.
    order_place(
        owner=user, symbol="BTCUSDT", action="buy", price="35000", strategy_name=crossover_name
    )
    order_place(
        owner=user, symbol="BTCUSDT", action="sell", price="36000", strategy_name=crossover_name
    )
    decision = decision_make(owner=user, trigger="fuzz")
    model, run, sweep, sync = (str(job.pk) for job in jobs)
    ids = {
        "agents/{id}": str(btc.pk),
        "agents/{symbol}": "BTCUSDT",
        "backtests/{id}": run,
        "backtests/sweeps/{id}": sweep,
        "binance/schedules/{id}": str(schedule.pk),
        "binance/syncs/{id}": sync,
        "market-data/imports/{id}": str(CandleImport.objects.filter(user=user).first().pk),
        "market-data/symbols/{name}": "BTCUSDT",
        "ml/models/{id}": model,
        "mother-ai/decisions/{id}": str(decision.pk),
        "strategies/{ref}": str(strategies["BTC RSI + EMA crossover"].pk),
    }
    known = {}
    for path in schema.raw_schema["paths"]:
        for prefix, value in ids.items():
            if path.startswith(f"/api/{prefix}/"):
                known[path] = {prefix.rsplit("{", 1)[1].rstrip("}"): value}
    return known


@pytest.fixture(scope="module")
def fake_exchange():
    server = FakeBinance({KEY: SECRET}).start()
    with override_settings(BINANCE_BASE_URL=server.url, BINANCE_TIMEOUT=3):
        yield server
    server.stop()


@pytest.fixture(scope="module")
def token(django_db_setup, django_db_blocker, fake_exchange) -> str:
    """The fuzz user and its data, for the whole module, rolled back at its end; signed in
    the way a client signs in (POST /api/auth/token/). The cache (throttles, failed sign-ins
    from 127.0.0.1) is cleared before and after, so no other test inherits a lockout."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.core.cache import cache
    from werkzeug.test import Client

    cache.clear()
    with django_db_blocker.unblock(), transaction.atomic():
        user = get_user_model().objects.create_user(username="fuzzer", password=PASSWORD)
        user.user_permissions.add(Permission.objects.get(codename="import_candles"))
        KNOWN.update(_demo_like_data(user))
        r = Client(APP).post("/api/auth/token/", json={"username": "fuzzer", "password": PASSWORD})
        assert r.status_code == 200, r.get_data(as_text=True)
        yield r.get_json()["token"]
        transaction.set_rollback(True)
    KNOWN.clear()
    cache.clear()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
def test_api_conforms_to_its_schema(case, token):
    with transaction.atomic():
        case.call_and_validate(headers={"Authorization": f"Token {token}"})
        transaction.set_rollback(True)


def _json_body_operations() -> list[tuple[str, str]]:
    """Every operation of the schema that takes a JSON body."""
    return sorted(
        (method.upper(), path)
        for path, item in schema.raw_schema["paths"].items()
        for method, operation in item.items()
        if method in ("post", "put", "patch")
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    )


SIX_MIB_BODY = b'{"x": "' + b"a" * (6 * 1024 * 1024) + b'"}'
DEEP_BODY = b"[" * 1000 + b"]" * 1000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, status", [(SIX_MIB_BODY, 413), (DEEP_BODY, 400)], ids=["6MiB", "1000deep"]
)
@pytest.mark.parametrize("method, path", _json_body_operations())
def test_bodies_over_the_size_or_depth_limit_are_refused_as_json(method, path, body, status, token):
    """Beyond what schemathesis generates: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413
    and JSON nested 1,000 deep a 400, on every operation that takes JSON, both as a JSON
    answer naming the limit (they were 500s: RequestDataTooBig, RecursionError)."""
    from django.core.cache import cache
    from werkzeug.test import Client

    cache.clear()  # the schema run's bad sign-ins may have locked 127.0.0.1 out
    url = path
    for name, value in KNOWN.get(path, {}).items():
        url = url.replace("{" + name + "}", value)
    url = re.sub(r"\{[^}]+\}", "1", url)
    with transaction.atomic():
        r = Client(APP).open(
            url,
            method=method,
            data=body,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        transaction.set_rollback(True)
    assert r.status_code == status, (method, url, r.status_code, r.get_data(as_text=True)[:300])
    assert r.headers["Content-Type"] == "application/json"
    detail = r.get_json()["detail"]
    assert ("DATA_UPLOAD_MAX_MEMORY_SIZE" if status == 413 else "nested deeper") in detail
