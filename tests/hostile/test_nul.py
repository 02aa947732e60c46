"""A NUL character anywhere a client writes text: PostgreSQL refuses it even as a query's
parameter, so `/market-data/?symbol=%00` answered 500 on the full stack (SQLite took it).
URLs holding one are a 400 naming where; JSON holding one is a 400 naming the place."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

GETS = [
    ("/market-data/?symbol=%00", "symbol"),
    ("/market-data/?symbol=BTC%00&interval=1h", "symbol"),
    ("/strategies/?symbol=%00", "symbol"),
    ("/portfolio/?portfolio=%00", "portfolio"),
    ("/api/market-data/candles/?symbol=%00&interval=1h", "symbol"),
    ("/api/strategies/?symbol=%00", "symbol"),
    ("/api/market-data/symbols/%00/", "path"),
    ("/api/agents/%00/predict/", "path"),
    ("/agents/?x%00=1", "x\\x00"),
]


@pytest.mark.parametrize(("path", "named"), GETS)
def test_a_nul_in_the_url_is_a_400_naming_where(client, user, path, named):
    client.force_login(user)
    r = client.get(path)
    assert r.status_code == 400, (path, r.status_code)
    assert named in r.content.decode() and "NUL" in r.content.decode()


@pytest.mark.parametrize(
    ("url", "body", "place"),
    [
        (
            "/api/strategies/",
            {"strategy_json": {"symbol": "BTCUSDT", "indicators": {"rsi\x00": {"period": 14}}}},
            "strategy_json.indicators.rsi\\u0000",
        ),
        (
            "/api/strategies/",
            {"name": "ok", "strategy_json": {"symbol": "BTCUSDT", "strategy_name": "a\x00"}},
            "strategy_json.strategy_name",
        ),
        ("/api/portfolio/orders/", {"symbol": "BTC\x00", "action": "buy"}, "symbol"),
    ],
)
def test_a_nul_in_json_is_a_400_naming_the_place(user, url, body, place, client_for):
    api = client_for(user)
    r = api.post(url, body, format="json")
    assert r.status_code == 400, r.content
    body = r.json()
    said = [*body, *(m for v in body.values() for m in (v if isinstance(v, list) else [v]))]
    assert any(place in str(m) for m in said), body
