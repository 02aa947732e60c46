"""Hostile inputs (issue 12, findings 7 and 8): each was a 500 or a hole; each is now a 4xx
naming the field (or the limit), and nothing is written.

The API through DRF's APIClient and the pages through Django's test client, with
``raise_request_exception=False`` so a 500 shows as a status, not as a test error.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from apps.strategies.tests.factories import StrategyFactory
from engine.tests.test_strategy import SHAPE_A

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


@pytest.mark.parametrize(
    "ref", ["²", "9" * 5000, "BTCUSDT_strategy_²", "BTCUSDT_strategy_" + "9" * 30]
)
def test_strategy_refs_that_are_no_id_are_a_404(api, page, ref):
    assert api.get(f"/api/strategies/{ref}/").status_code == 404
    assert page.get(f"/strategies/{ref}/").status_code == 404


# ------------------------------------------------------------------ 5. the Binance page


@pytest.fixture
def importer_page(importer) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(importer)
    return c


SCHEDULE = {"action": "schedule", "symbol": "BTCUSDT", "interval": "1h", "start": "2021-01-01"}


@pytest.mark.parametrize(
    "form, field",
    [
        ({**SCHEDULE, "every_minutes": "abc"}, "every_minutes"),
        ({**SCHEDULE, "every_minutes": "9" * 30}, "every_minutes"),
        ({**SCHEDULE, "every_minutes": "0"}, "every_minutes"),
        ({**SCHEDULE, "start": "", "every_minutes": "60"}, "start"),
        ({**SCHEDULE, "action": "sync", "start": ""}, "start"),
        ({**SCHEDULE, "action": "sync", "start": "someday"}, "start"),
        ({**SCHEDULE, "action": "sync", "interval": "7h"}, "interval"),
        ({"action": "schedule_toggle", "schedule": "²"}, "schedule"),
        ({"action": "schedule_delete", "schedule": "9" * 5000}, "schedule"),
    ],
)
def test_binance_page_forms_answer_400_naming_the_field(importer_page, form, field):
    from apps.binance.models import KlineSync, SyncSchedule

    r = importer_page.post("/binance/", form)
    assert r.status_code == 400
    assert f"{field}: " in r.content.decode()
    assert not SyncSchedule.objects.exists() and not KlineSync.objects.exists()


def test_the_schedule_api_refuses_every_minutes_beyond_a_week(importer, client_for):

    c = client_for(importer)
    body = {"symbol": "BTCUSDT", "interval": "1h", "start": "2021-01-01T00:00:00Z"}
    r = c.post("/api/binance/schedules/", {**body, "every_minutes": 10**12}, format="json")
    assert r.status_code == 400 and "every_minutes" in r.json()


# -------------------------------------------- 6. sweep grids checked before the sweep exists


@pytest.mark.parametrize(
    "grid, key",
    [
        ({"indicators.rsi.perod": [7, 14]}, "grid.indicators.rsi.perod"),
        ({"indicators.rsi.period": [14, -5]}, "grid.indicators.rsi.period"),
        ({"indicators.rsi.period": [14, 1e308]}, "grid.indicators.rsi.period"),
        ({"indicators.rsi.buy_below": [30, 101]}, "grid.indicators.rsi.buy_below"),
        ({"symbol": [1]}, "grid.symbol"),
    ],
)
def test_a_sweep_grid_is_checked_against_the_strategy_before_the_sweep_exists(
    api, btc_candles, grid, key
):
    from apps.backtests.models import Sweep

    body = {"strategy_json": SHAPE_A, "grid": grid}
    r = post_json(api, "/api/backtests/sweeps/", json.dumps(body))
    assert r.status_code == 400, r.content
    assert key in r.json()
    assert not Sweep.objects.exists()
    walk = {**body, "walk_forward_windows": 2}
    r = post_json(api, "/api/backtests/sweeps/", json.dumps(walk))
    assert r.status_code == 400 and key in r.json()


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"indicators.rsi.period": [NaN]}', "not a finite number"),
        ('{"indicators.rsi.period": [1e400]}', "not a finite number"),
        ('{"indicators.rsi.period": ' + DEEP + "}", "nested deeper than 32"),
        ('{"indicators.rsi.period": [14, -5]}', "rsi period must be between"),
    ],
)
def test_the_sweep_page_refuses_a_bad_grid_naming_it(page, user, btc_candles, text, message):
    from apps.backtests.models import Sweep

    strategy = StrategyFactory(owner=user, definition=SHAPE_A)
    form = {
        "strategy": strategy.pk,
        "grid": text,
        "metric": "total_return_pct",
        "initial_balance": "10000",
        "fee_rate": "0.001",
        "slippage_bps": "0",
        "fill": "next_open",
        "walk_forward_windows": "0",
    }
    r = page.post("/backtests/sweeps/new/", form)
    assert r.status_code == 200  # the form again, with the error beside the grid
    assert message in r.content.decode()
    assert not Sweep.objects.exists()


def test_the_strategy_page_refuses_nan_and_deep_json(page):
    from apps.strategies.models import Strategy

    for text, message in (
        ('{"symbol": "BTCUSDT", "indicators": {"rsi": {"period": NaN}}}', "not a finite"),
        ('{"symbol": "BTCUSDT", "x": ' + DEEP + "}", "nested deeper than 32"),
    ):
        r = page.post("/strategies/new/", {"strategy_json": text})
        assert r.status_code == 200 and message in r.content.decode()
    assert not Strategy.objects.exists()


# ----------------------------------- 7. storing shared candles needs the import permission


@pytest.fixture
def fake_exchange(settings):
    from apps.binance.tests.fakeserver import FakeBinance

    server = FakeBinance({}).start()
    settings.BINANCE_BASE_URL = server.url
    settings.BINANCE_TIMEOUT = 10
    yield server
    server.stop()


def test_get_ohlcv_reads_klines_and_writes_nothing(user_client, fake_exchange):
    from apps.marketdata.models import Candle

    r = user_client.get("/api/binance/ohlcv/", {"symbol": "ETHUSDT", "interval": "1h", "limit": 5})
    assert r.status_code == 200 and r.json()["count"] == 5
    assert not Candle.objects.exists()


def test_storing_candles_without_the_permission_is_a_403_and_writes_nothing(
    user, user_client, page, fake_exchange
):
    from apps.binance.models import KlineSync, SyncSchedule
    from apps.marketdata.models import Candle

    q = {"symbol": "ETHUSDT", "interval": "1h", "limit": 5}
    start = {"symbol": "ETHUSDT", "interval": "1h", "start": "2021-05-01T00:00:00Z"}
    for url, body in (
        ("/api/binance/ohlcv/", q),
        ("/api/binance/syncs/", start),
        ("/api/binance/schedules/", start),
    ):
        r = user_client.post(url, body, format="json")
        assert r.status_code == 403, (url, r.content)
        assert "import candles" in r.json()["detail"]
    for action in ("sync", "schedule"):
        form = {**start, "start": "2021-05-01", "every_minutes": "60", "action": action}
        r = page.post("/binance/", form)
        assert r.status_code == 403 and "import candles" in r.content.decode()
    assert not Candle.objects.exists()
    assert not KlineSync.objects.exists() and not SyncSchedule.objects.exists()


def test_with_the_permission_post_ohlcv_stores_the_candles(importer, fake_exchange, client_for):

    from apps.marketdata.models import Candle

    c = client_for(importer)
    q = {"symbol": "ETHUSDT", "interval": "1h", "limit": 5}
    assert c.post("/api/binance/ohlcv/", q, format="json").status_code == 200
    assert Candle.objects.count() == 5


# ------------------------------------------------------- 11. control and bidi characters

BIDI = ["evil\u202egnp.exe", "a\u2066b", "x\u200fy", "line\nbreak", "nul\x00", "bell\x07"]


@pytest.mark.parametrize("name", BIDI)
def test_names_with_control_or_bidi_characters_are_a_400_naming_the_field(api, user, name):
    from apps.portfolio.models import Portfolio
    from apps.strategies.models import Strategy

    r = post_json(api, "/api/strategies/", json.dumps({"strategy_json": SHAPE_A, "name": name}))
    assert r.status_code == 400 and "name" in r.json(), r.content
    named_in_json = {**SHAPE_A, "strategy_name": name}
    r = post_json(api, "/api/strategies/", json.dumps({"strategy_json": named_in_json}))
    assert r.status_code == 400 and "strategy_json.strategy_name" in r.json(), r.content
    r = post_json(api, "/api/portfolio/portfolios/", json.dumps({"name": name}))
    assert r.status_code == 400 and "name" in r.json(), r.content
    r = post_json(
        api,
        "/api/ml/models/",
        json.dumps({"symbol": "BTCUSDT", "interval": "1h", "name": name}),
    )
    assert r.status_code == 400 and "name" in r.json(), r.content
    r = post_json(
        api,
        "/api/portfolio/orders/",
        json.dumps({"symbol": "BTCUSDT", "action": "buy", "price": "1", "strategy_name": name}),
    )
    assert r.status_code == 400 and "strategy_name" in r.json(), r.content
    assert not Strategy.objects.filter(owner=user).exists()
    # (Compared in Python: PostgreSQL refuses a NUL even inside a query's parameters.)
    assert name not in Portfolio.objects.filter(owner=user).values_list("name", flat=True)


def test_the_services_refuse_bidi_names_whoever_calls_them(user, btc_candles):
    from django.core.exceptions import ValidationError

    from apps.agents.services import agent_create
    from apps.portfolio.services import portfolio_create

    strategy = StrategyFactory(owner=user, definition=SHAPE_A)
    with pytest.raises(ValidationError) as info:
        agent_create(owner=user, symbol="BTCUSDT", strategy=strategy, name="a\u202eb")
    assert "name" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        portfolio_create(owner=user, name="p\u2067")
    assert "name" in info.value.message_dict


def test_the_strategy_page_refuses_a_bidi_name(page):
    from apps.strategies.models import Strategy

    r = page.post(
        "/strategies/new/", {"name": "evil\u202egnp.exe", "strategy_json": json.dumps(SHAPE_A)}
    )
    assert r.status_code == 200 and "U+202E" in r.content.decode()
    assert not Strategy.objects.exists()


# --------------------------------------------------------------- 8. the Binance key file


def test_the_generated_key_file_lives_outside_storage_and_an_old_one_is_moved(settings, tmp_path):
    import stat

    from cryptography.fernet import Fernet

    from apps.binance import crypto

    storage = tmp_path / "storage"
    storage.mkdir()
    old_key = Fernet.generate_key()
    (storage / "binance.key").write_bytes(old_key)
    token = Fernet(old_key).encrypt(b"sentinel-secret").decode()
    settings.BINANCE_FERNET_KEYS = ""
    settings.BINANCE_KEY_FILE_FALLBACK = True
    settings.STORAGE_DIR = storage
    settings.BINANCE_KEY_FILE = tmp_path / "config" / "tradingsite" / "binance.key"

    assert crypto.decrypt(token) == "sentinel-secret"  # the moved key still decrypts
    assert not (storage / "binance.key").exists()  # moved, not copied
    assert settings.BINANCE_KEY_FILE.read_bytes().strip() == old_key
    assert stat.S_IMODE(settings.BINANCE_KEY_FILE.stat().st_mode) == 0o600

    settings.BINANCE_KEY_FILE = tmp_path / "elsewhere" / "binance.key"  # none anywhere
    crypto.encrypt("x")
    assert settings.BINANCE_KEY_FILE.exists() and not (storage / "binance.key").exists()


def test_the_default_key_file_is_not_in_storage_dir():
    from django.conf import settings

    storage = settings.STORAGE_DIR.resolve()
    assert storage not in settings.BINANCE_KEY_FILE.resolve().parents


# ------------------------------------------------------------------------------ 10. CORS


def test_no_origin_is_allowed_cross_site_by_default(api):
    from django.conf import settings

    assert settings.CORS_ALLOWED_ORIGINS == []
    r = api.get("/api/strategies/", headers={"Origin": "http://localhost:5173"})
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r


@pytest.mark.parametrize(
    "form, field",
    [
        ({"top_n": "9" * 5000, "min_score": "0.5"}, "top_n"),
        ({"top_n": "²", "min_score": "0.5"}, "top_n"),
        ({"top_n": "3", "min_score": "nan"}, "min_score"),
        ({"top_n": "3", "min_score": "1e999"}, "min_score"),
    ],
)
def test_the_mother_ai_page_form_answers_400_naming_the_field(page, form, field):
    from apps.motherai.models import Decision

    r = page.post("/mother-ai/", form)
    assert r.status_code == 400 and f"{field}: " in r.content.decode()
    assert not Decision.objects.exists()
