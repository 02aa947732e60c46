"""The paper portfolio under real concurrency on PostgreSQL: no lost update, no negative
balance, money that reconciles exactly, and an idempotency key that fills once."""

import json
import subprocess
import sys
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from apps.portfolio.models import Order, Portfolio, Position, TradeLog
from apps.portfolio.services import order_place, portfolio_create

from .conftest import ROOT, _worker_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_400_concurrent_orders_from_two_processes_reconcile_exactly(user):
    assert connection.vendor == "postgresql"
    portfolio = portfolio_create(
        owner=user, name="stress", initial_cash="100000", buy_fraction="0.05"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.portfolio_load", str(portfolio.pk), "4", "50", str(seed)],
            cwd=ROOT,
            env=_worker_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    summaries = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    assert all(not s["errors"] for s in summaries), summaries
    filled = sum(s["filled"] for s in summaries)
    assert filled + sum(s["refused"] for s in summaries) == 400
    assert Order.objects.filter(portfolio=portfolio).count() == filled

    portfolio.refresh_from_db()
    buys = Order.objects.filter(portfolio=portfolio, action="buy")
    sells = Order.objects.filter(portfolio=portfolio, action="sell")
    spent = sum((o.notional + o.fee for o in buys), Decimal(0))
    received = sum((o.notional - o.fee for o in sells), Decimal(0))
    assert portfolio.cash >= 0
    assert portfolio.cash == Decimal("100000") - spent + received
    for symbol in ("BTCUSDT", "ETHUSDT"):
        bought = buys.filter(symbol=symbol).aggregate(q=Sum("quantity"))["q"] or Decimal(0)
        sold = sells.filter(symbol=symbol).aggregate(q=Sum("quantity"))["q"] or Decimal(0)
        held = Position.objects.filter(portfolio=portfolio, symbol=symbol).aggregate(
            q=Sum("quantity")
        )["q"] or Decimal(0)
        assert bought - sold == held, symbol
    assert TradeLog.objects.filter(portfolio=portfolio).count() == sells.count()
    # Every order's cash_after is a step of one serial history: all distinct balances chain.
    last = Order.objects.filter(portfolio=portfolio).order_by("-id").first()
    assert last.cash_after == portfolio.cash


def test_20_parallel_requests_with_one_idempotency_key_fill_once(user, btc_candles):
    from django.db import connection as conn

    results, errors = [], []
    barrier = threading.Barrier(20)

    def go():
        try:
            barrier.wait()
            order, created = order_place(
                owner=user,
                symbol="BTCUSDT",
                action="buy",
                price="30000",
                idempotency_key="same-key",
            )
            results.append((order.pk, created))
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=go) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({pk for pk, _ in results}) == 1 and sum(created for _, created in results) == 1
    assert Order.objects.count() == 1
    assert Portfolio.objects.get(owner=user).cash == Decimal("9000")
