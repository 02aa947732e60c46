"""The result page's chart data (GET /api/backtests/<id>/chart/): the run's whole window
as columns, the strategy's indicators as the backtest computed them, its trades, equity
with buy & hold and a drawdown that is never above 0; compressed; another user's is 404."""

import gzip
import json
from datetime import UTC, datetime

import numpy as np
import pytest

from apps.backtests.models import BacktestRun
from apps.backtests.tests.test_trades_store import _all_pages
from apps.marketdata.selectors import candles_frame
from engine.indicators import compute
from engine.strategy import compile_signals, parse_strategy

pytestmark = pytest.mark.django_db(transaction=True)

STRATEGY = {
    "strategy_name": "chart",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "entry_conditions": [
        {"indicator": "rsi", "params": {"period": 14}, "condition": "< 60"},
        {"indicator": "close", "condition": "> ema(50)"},
    ],
    "exit_conditions": [
        {"indicator": "macd", "params": {"fast": 12, "slow": 26, "signal": 9}, "condition": "< 0"},
        {"indicator": "close", "condition": "> bollinger(20,2).upper"},
    ],
    "entry_logic": "all",
    "exit_logic": "any",
    "risk": {"stop_loss_pct": 3, "take_profit_pct": 6},
}
START = "2020-09-01T00:00:00Z"


@pytest.fixture
def run_url(user_client, btc_candles):
    r = user_client.post(
        "/api/backtests/",
        {"strategy_json": STRATEGY, "interval": "1h", "start": START},
        format="json",
    )
    assert r.status_code == 202, r.json()
    return r.json()["url"]


def test_the_chart_holds_the_whole_window_and_the_values_the_backtest_used(user_client, run_url):
    d = user_client.get(f"{run_url}chart/").json()
    run = BacktestRun.objects.get(pk=d["run"])
    c = d["candles"]
    # The whole window, not the latest 5,000 candles of it.
    assert c["count"] == len(c["time_epoch_s"]) == run.candles_count > 5000
    assert c["time_epoch_s"][0] == int(run.first_candle.timestamp())
    assert c["time_epoch_s"][-1] == int(run.last_candle.timestamp())
    assert c["time_epoch_s"][0] == int(datetime(2020, 9, 1, tzinfo=UTC).timestamp())
    assert c["precision"] == 2
    # Each indicator with all its lines; values computed over history from before the
    # window (so the warm-up is the backtest's, not a restart at the window's start).
    labels = [(x["label"], x["overlay"]) for x in d["indicators"]]
    assert labels == [
        ("rsi(14)", False),
        ("ema(50)", True),
        ("macd(12,26,9)", False),
        ("macd(12,26,9).signal", False),
        ("macd(12,26,9).hist", False),
        ("bollinger(20,2).upper", True),
        ("bollinger(20,2)", True),
        ("bollinger(20,2).lower", True),
    ]
    frame = candles_frame(symbol="BTCUSDT", interval="1h")
    lo = int(frame.index.searchsorted(run.first_candle))
    signals = compile_signals(parse_strategy(run.strategy_definition), frame, interval="1h")
    by = {x["label"]: np.array(x["values"], dtype=float) for x in d["indicators"]}
    assert len(by["rsi(14)"]) == len(c["time_epoch_s"])
    # The first bars of the window already have values: the warm-up happened before it.
    assert np.isfinite(by["ema(50)"][0]) and np.isfinite(by["macd(12,26,9).signal"][0])
    np.testing.assert_allclose(by["rsi(14)"], signals.conditions[0].left[lo:], rtol=1e-6)
    np.testing.assert_allclose(by["ema(50)"], signals.conditions[1].right[lo:], rtol=1e-6)
    lower = compute("bollinger", frame, (20, 2.0))["lower"][lo:]
    np.testing.assert_allclose(by["bollinger(20,2).lower"], lower, rtol=1e-6)
    assert {(lv["group"], lv["value"]) for lv in d["levels"]} == {
        ("rsi(14)", 60.0),
        ("macd(12,26,9)", 0.0),
    }
    # The trades are the API's trades, as columns.
    trades, _ = _all_pages(user_client, run_url, 500)
    t = d["trades"]
    assert len(trades) == len(t["side"]) == run.metrics["num_trades"] > 0
    iso = [datetime.fromtimestamp(s, UTC).isoformat() for s in t["entry_time_epoch_s"]]
    assert iso == [datetime.fromisoformat(x["entry_time"]).isoformat() for x in trades]
    # The API writes money as 8-place decimal strings; the chart takes the numbers.
    assert t["pnl"] == pytest.approx([float(x["pnl"]) for x in trades], abs=5e-9)
    assert t["exit_reason"] == [x["exit_reason"] for x in trades]
    assert t["side"] == [1 if x["side"] == "long" else -1 for x in trades]
    # Equity, buy & hold and drawdown: the stored curve; the drawdown never above 0 and 0
    # exactly at each new high.
    e = d["equity"]
    assert e["time_epoch_s"] == [p[0] // 1000 for p in run.equity_curve]
    np.testing.assert_allclose(e["equity"], [p[1] for p in run.equity_curve])
    dd = np.array(e["drawdown_pct"])
    assert (dd <= 0).all() and dd.min() < 0
    eq = np.array(e["equity"])
    assert (dd[eq >= np.maximum.accumulate(eq)] == 0).all()
    assert d["initial_balance"] == run.initial_balance


def test_the_chart_is_compressed_for_clients_that_accept_it(user_client, run_url):
    plain = user_client.get(f"{run_url}chart/")
    packed = user_client.get(f"{run_url}chart/", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert len(packed.content) < len(plain.content) / 2
    assert json.loads(gzip.decompress(packed.content)) == plain.json()


def test_another_users_chart_is_404(run_url, other_user, client_for):
    assert client_for(other_user).get(f"{run_url}chart/").status_code == 404


def test_the_result_page_points_at_the_chart(client, user, run_url):
    pk = run_url.rstrip("/").rsplit("/", 1)[1]
    client.force_login(user)
    html = client.get(f"/backtests/{pk}/").content.decode()
    assert f'data-chart-url="/api/backtests/{pk}/chart/"' in html
    assert 'data-equity-mode="log"' in html
