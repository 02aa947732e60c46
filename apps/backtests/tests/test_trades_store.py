"""A run's trades stored columnar (tradestore.py): what the API, the result page and the
report read back is exactly what the engine produced, field by field and page by page; a
redelivered run stores one table, a cancelled one none; rows stored before the format
are packed by the migration without changing a field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from rest_framework import serializers

from apps.backtests import services
from apps.backtests.models import BacktestRun, BacktestTradeTable
from apps.backtests.selectors import recent_trades
from apps.backtests.services import backtest_execute, run_config
from apps.backtests.tradestore import TradeTable, columns_from_rows, unpack
from apps.core.jobs import JobStatus, job_cancel
from apps.marketdata.selectors import candles_frame
from engine.backtest import run_backtest
from engine.strategy import parse_strategy
from engine.tests.test_strategy import SHAPE_A

pytestmark = pytest.mark.django_db(transaction=True)

FLOATS = ("entry_price", "exit_price", "quantity", "entry_fee", "exit_fee", "pnl", "return_pct")


def _submit(client, **extra) -> dict:
    r = client.post(
        "/api/backtests/", {"strategy_json": SHAPE_A, "interval": "1h", **extra}, format="json"
    )
    assert r.status_code == 202, r.json()
    return r.json()


def _engine_rows(run: BacktestRun) -> list[dict]:
    """The trades the engine makes for the run, as the API gave them when each was an ORM
    row (DRF's DateTimeField over the stored datetime, floats as stored)."""
    candles = candles_frame(symbol=run.symbol, interval=run.interval, end=run.end)
    result = run_backtest(
        candles, parse_strategy(run.strategy_definition), run_config(run), interval=run.interval
    )
    when = serializers.DateTimeField()
    return [
        {
            "run": run.pk,
            "seq": k,
            "symbol": run.symbol,
            "side": t.side,
            "entry_time": when.to_representation(t.entry_time.to_pydatetime()),
            "exit_time": when.to_representation(t.exit_time.to_pydatetime()),
            **{f: getattr(t, f) for f in FLOATS},
            "bars_held": t.bars_held,
            "exit_reason": t.exit_reason,
        }
        for k, t in enumerate(result.trades)
    ]


def _as_api(row: dict) -> dict:
    """An engine row as the API writes it: amounts as 8-place decimal strings (rounded
    half-even from the float's shortest repr), the return in percent to 4 places."""
    amounts = {f: f"{Decimal(repr(row[f])).quantize(Decimal('1e-8')):f}" for f in FLOATS[:-1]}
    return {**row, **amounts, "return_pct": round(row["return_pct"], 4)}


def _all_pages(client, url: str, page_size: int) -> tuple[list[dict], int]:
    rows, pages, url = [], 0, f"{url}trades/?page_size={page_size}"
    while url:
        page = client.get(url).json()
        rows += page["results"]
        pages += 1
        url = page["next"]
    return rows, pages


def test_every_page_of_trades_is_the_engines_trades_exactly(user_client, btc_candles):
    body = _submit(user_client, stop_loss_pct=2, take_profit_pct=4)
    run = BacktestRun.objects.get(pk=body["id"])
    expected = _engine_rows(run)
    assert len(expected) > 20
    assert {t["exit_reason"] for t in expected} >= {"signal", "stop_loss", "take_profit"}
    for size in (7, 500):
        rows, pages = _all_pages(user_client, body["url"], size)
        # Every field, every page, in seq order.
        assert rows == [_as_api(t) for t in expected]
        assert pages == -(-len(expected) // size)
    # A page past the end is a 404, as with rows.
    assert user_client.get(f"{body['url']}trades/?page=999").status_code == 404
    # The result page and the admin's read the same stored trades.
    browser = Client()
    browser.force_login(run.owner)
    page = browser.get(f"/backtests/{run.pk}/")
    assert page.status_code == 200
    assert [t.pnl for t in page.context["trades"]] == [t["pnl"] for t in expected[:500]]
    browser.force_login(get_user_model().objects.create_superuser("root", "r@x.io", "pw-12345"))
    admin_page = browser.get(reverse("admin:backtests_backtestrun_change", args=[run.pk]))
    assert admin_page.status_code == 200
    assert f"<td>{expected[99]['pnl']}</td>" in admin_page.content.decode()


def test_recent_trades_are_the_newest_across_runs(user_client, btc_candles):
    a = _submit(user_client, end="2021-01-01T00:00:00Z")
    b = _submit(user_client)
    rows = user_client.get("/api/backtests/results/?page_size=10").json()["results"]
    trades_b, _ = _all_pages(user_client, b["url"], 500)
    trades_a, _ = _all_pages(user_client, a["url"], 500)
    newest = sorted(
        trades_a + trades_b, key=lambda t: (t["exit_time"], t["run"], t["seq"]), reverse=True
    )[:10]
    assert rows == newest and {r["run"] for r in rows} == {b["id"]}
    # Every trade of both runs, paged newest first.
    everything = user_client.get("/api/backtests/results/?page_size=500").json()
    assert everything["count"] == len(trades_a) + len(trades_b)
    assert (
        everything["results"]
        == sorted(
            trades_a + trades_b, key=lambda t: (t["exit_time"], t["run"], t["seq"]), reverse=True
        )[:500]
    )
    run_a = BacktestRun.objects.get(pk=a["id"])
    assert len(recent_trades(owner=run_a.owner, limit=len(trades_a) + len(trades_b))) == len(
        trades_a
    ) + len(trades_b)


def test_a_redelivered_run_stores_one_table_with_the_same_trades(user_client, btc_candles):
    pk = _submit(user_client)["id"]
    before = unpack(BacktestTradeTable.objects.get(run_id=pk).data)
    BacktestRun.objects.filter(pk=pk).update(status=JobStatus.QUEUED)  # redelivered after a reap
    assert backtest_execute(pk) == JobStatus.SUCCEEDED
    assert BacktestTradeTable.objects.filter(run_id=pk).count() == 1
    after = unpack(BacktestTradeTable.objects.get(run_id=pk).data)
    assert before.keys() == after.keys()
    assert all((before[k] == after[k]).all() for k in before)


def test_a_run_cancelled_while_the_engine_ran_stores_nothing(user_client, btc_candles, monkeypatch):
    real = services.run_backtest

    def cancelled_meanwhile(*args, **kwargs):
        result = real(*args, **kwargs)
        job_cancel(BacktestRun.objects.get())  # the owner cancels as the engine returns
        return result

    monkeypatch.setattr(services, "run_backtest", cancelled_meanwhile)
    run = BacktestRun.objects.get(pk=_submit(user_client)["id"])
    assert run.status == JobStatus.CANCELLED and run.metrics is None
    assert not BacktestTradeTable.objects.exists()
    assert user_client.get(f"/api/backtests/{run.pk}/trades/").json()["count"] == 0


def test_trade_rows_from_before_are_packed_by_the_migration(user_client, btc_candles):
    """Migrate back to per-trade rows (unpacking), then forward again (packing): the API
    gives the same trades, field for field."""
    body = _submit(user_client, stop_loss_pct=2)
    expected, _ = _all_pages(user_client, body["url"], 500)
    executor = MigrationExecutor(connection)
    executor.migrate([("backtests", "0002_remove_backtestrun_sweep")])
    old = executor.loader.project_state(("backtests", "0002_remove_backtestrun_sweep")).apps
    assert old.get_model("backtests", "BacktestTrade").objects.count() == len(expected)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert _all_pages(user_client, body["url"], 500)[0] == expected


def test_packing_rows_keeps_every_value():
    from datetime import UTC, datetime

    rows = [
        {
            "seq": k,
            "side": side,
            "entry_time": datetime(2024, 1, 1, k, 0, 0, 123456, tzinfo=UTC),
            "exit_time": datetime(2024, 1, 2, k, 30, tzinfo=UTC),
            **{f: 0.1 * (k + 1) + i / 3 for i, f in enumerate(FLOATS)},
            "bars_held": 24 + k,
            "exit_reason": reason,
        }
        for k, (side, reason) in enumerate(
            [("long", "signal"), ("short", "stop_loss"), ("long", "end_of_data")]
        )
    ]
    table = TradeTable(BacktestRun(pk=1), columns_from_rows(rows))
    assert [t.as_row() for t in table] == rows
    assert [t.seq for t in table[1:]] == [1, 2] and table[-1].exit_reason == "end_of_data"
    assert TradeTable(None, {})[:10] == []
