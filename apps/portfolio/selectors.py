"""Portfolio reads: quotes from the candles, state with live valuation, the trade log,
performance and strategy health.

Selectors only read: they take a portfolio (the default portfolio's get-or-create is a
service, ``portfolio_resolve``) and never import services.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import mean, pstdev

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.marketdata.models import Candle
from apps.marketdata.selectors import candles_frame
from engine.desk.clock import Staleness, staleness
from engine.marketdata import interval_ms

from .models import Order, Portfolio, Position, Snapshot, TradeLog
from .money import add, div, fmt, money, money_sum, mul, sub


@dataclass(frozen=True)
class Quote:
    price: Decimal
    time: datetime
    source: str
    interval: str | None = None  # the candle's interval; None for a given price


def market_staleness(
    market_time: datetime, interval: str, *, now: datetime | None = None
) -> Staleness:
    """How old a market time (a candle's close) is against now, and whether it is still
    fresh: within settings.DESK_MAX_STALE_BARS intervals (SPEC §7a Live)."""
    return staleness(
        market_time,
        now or timezone.now(),
        interval_ms(interval),
        settings.DESK_MAX_STALE_BARS,
    )


def latest_quote(symbol: str) -> Quote | None:
    """The latest close of the symbol over any interval, and the time that close happened
    (a candle still open at the time of asking is priced as of now, its latest trade)."""
    candle = (
        Candle.objects.filter(symbol__name=symbol)
        .order_by("-open_time")
        .values("open_time", "close", "interval")
        .first()
    )
    if candle is None:
        return None
    close_time = candle["open_time"] + timedelta(milliseconds=interval_ms(candle["interval"]))
    return Quote(
        price=Decimal(repr(candle["close"])),
        time=min(close_time, timezone.now()),
        source=f"close of {candle['interval']} candle {candle['open_time']:%Y-%m-%d %H:%M}",
        interval=candle["interval"],
    )


def _mark_price(position: Position) -> Decimal:
    """What a position is valued at: its symbol's latest close, else its average price."""
    quote = latest_quote(position.symbol)
    return quote.price if quote else position.avg_price


def positions_value(portfolio: Portfolio) -> Decimal:
    """The positions at their latest closes (else their average price), exactly summed and
    rounded half-even to 8 places once."""
    values = [mul(p.quantity, _mark_price(p)) for p in portfolio.positions.all()]
    return money(money_sum(values))


def drawdown_pct(
    *, symbol: str, entry_price: Decimal, start: datetime, end: datetime, exit_price: Decimal
) -> float:
    """Worst move against a long position while it was open, in % of the entry price."""
    worst = float(exit_price)
    finest = (
        Candle.objects.filter(symbol__name=symbol).values_list("interval", flat=True).distinct()
    )
    intervals = sorted(finest, key=interval_ms)
    if intervals and end > start:
        frame = candles_frame(symbol=symbol, interval=intervals[0], start=start, end=end)
        if len(frame):
            worst = min(worst, float(frame["low"].min()))
    return max(0.0, (1.0 - worst / float(entry_price)) * 100.0) if entry_price > 0 else 0.0


def portfolio_list(*, owner) -> QuerySet[Portfolio]:
    return Portfolio.objects.filter(owner=owner)


def portfolio_get(*, owner, pk: int) -> Portfolio | None:
    return Portfolio.objects.filter(owner=owner, pk=pk).first()


def portfolio_state(portfolio: Portfolio) -> dict:
    positions = []
    values = []
    for p in portfolio.positions.all().order_by("symbol"):
        price = _mark_price(p)
        market_value = money(mul(p.quantity, price))
        values.append(market_value)
        positions.append(
            {
                "symbol": p.symbol,
                "quantity": fmt(p.quantity),
                "avg_price": fmt(p.avg_price),
                "cost": fmt(p.cost),
                "last_price": fmt(money(price)),
                "market_value": fmt(market_value),
                "unrealized_pnl": fmt(money(sub(market_value, p.cost))),
                "unrealized_pct": float(div(mul(sub(market_value, p.cost), Decimal(100)), p.cost))
                if p.cost
                else 0.0,
                "opened_at": p.opened_at,
                "strategy_name": p.strategy_name,
                "source": p.source,
                "confidence": p.confidence,
            }
        )
    value = money_sum(values)
    total = add(portfolio.cash, value)
    return {
        "id": portfolio.pk,
        "name": portfolio.name,
        "quote_currency": portfolio.quote_currency,
        "initial_cash": fmt(portfolio.initial_cash),
        "cash": fmt(portfolio.cash),
        "positions_value": fmt(money(value)),
        "total_value": fmt(money(total)),
        "total_return_pct": float(
            div(mul(sub(total, portfolio.initial_cash), Decimal(100)), portfolio.initial_cash)
        ),
        "buy_fraction": fmt(portfolio.buy_fraction),
        "fee_rate": fmt(portfolio.fee_rate),
        "is_default": portfolio.is_default,
        "positions": positions,
        "orders_count": portfolio.orders.count(),
        "trades_count": portfolio.trade_logs.count(),
    }


def order_list(*, portfolio: Portfolio) -> QuerySet[Order]:
    return portfolio.orders.all()


def trade_log_list(
    *,
    owner,
    portfolio: Portfolio | None = None,
    source: str | None = None,
    symbol: str | None = None,
) -> QuerySet[TradeLog]:
    qs = TradeLog.objects.filter(portfolio__owner=owner)
    if portfolio is not None:
        qs = qs.filter(portfolio=portfolio)
    else:
        # live paper trading only: replay sessions keep their own trade logs
        qs = qs.filter(portfolio__kind=Portfolio.Kind.PAPER)
    if source:
        qs = qs.filter(source=source)
    if symbol:
        qs = qs.filter(symbol__iexact=symbol)
    return qs.order_by("-exit_time", "-id")


def _summary(rois: list[float], drawdowns: list[float]) -> dict:
    n = len(rois)
    if n == 0:
        return {
            "total_trades": 0,
            "win_rate": None,
            "loss_rate": None,
            "avg_roi": None,
            "max_drawdown": None,
            "sharpe": None,
        }
    wins = sum(1 for r in rois if r > 0)
    losses = sum(1 for r in rois if r < 0)
    sd = pstdev(rois) if n > 1 else 0.0
    return {
        "total_trades": n,
        "win_rate": round(wins / n, 6),
        "loss_rate": round(losses / n, 6),
        "avg_roi": round(mean(rois), 6),
        "max_drawdown": round(max(drawdowns), 6) if drawdowns else None,
        # Per-trade Sharpe: mean ROI over its standard deviation (not annualised: trades
        # are irregular in time). None when there is no spread to divide by.
        "sharpe": round(mean(rois) / sd, 6) if sd > 0 and math.isfinite(sd) else None,
    }


def performance(*, owner, by: str = "symbol", portfolio: Portfolio | None = None) -> list[dict]:
    """Win rate, loss rate, trades, average ROI, max drawdown and Sharpe per symbol, strategy or source."""
    field = {"symbol": "symbol", "strategy": "strategy_name", "source": "source"}[by]
    groups: dict[str, list[TradeLog]] = defaultdict(list)
    for t in trade_log_list(owner=owner, portfolio=portfolio).order_by("exit_time", "id"):
        groups[getattr(t, field) or "(none)"].append(t)
    return [
        {by: key, **_summary([t.roi for t in trades], [t.drawdown for t in trades])}
        for key, trades in sorted(groups.items())
    ]


def portfolio_performance(*, owner, portfolio: Portfolio | None = None, lookback: int = 20) -> dict:
    """The performance report the page and the API show: per symbol, strategy and source,
    and each tagged strategy's health over its last `lookback` trades."""
    by_strategy = performance(owner=owner, by="strategy", portfolio=portfolio)
    return {
        "by_symbol": performance(owner=owner, by="symbol", portfolio=portfolio),
        "by_strategy": by_strategy,
        "by_source": performance(owner=owner, by="source", portfolio=portfolio),
        "strategy_health": [
            strategy_health(owner=owner, strategy_name=row["strategy"], lookback=lookback)
            for row in by_strategy
            if row["strategy"] != "(none)"
        ],
    }


def strategy_health(*, owner, strategy_name: str, lookback: int = 20) -> dict:
    """The original StrategyHealth over the last `lookback` closed trades of a strategy."""
    trades = list(trade_log_list(owner=owner).filter(strategy_name=strategy_name)[:lookback])
    rois = [t.roi for t in trades]
    return {
        "strategy_name": strategy_name,
        "lookback": lookback,
        "count": len(rois),
        "win_rate": round(sum(1 for r in rois if r > 0) / len(rois), 3) if rois else None,
        "avg_profit": round(mean(rois), 3) if rois else None,
        "recent_drawdown": round(max((abs(r) for r in rois if r < 0), default=0.0), 3)
        if rois
        else None,
    }


def snapshots(*, portfolio: Portfolio, limit: int = 2000) -> list[dict]:
    """The value over time: a point per order (the latest `limit`), plus where it started
    (the initial cash, when the history is complete) and where it stands now (positions at
    their latest close), so even a single order draws a line from start to today."""
    rows = list(Snapshot.objects.filter(portfolio=portfolio).order_by("-time", "-id")[:limit])
    # Compared in microseconds (a start and a "now" in the same second are two points);
    # written as chart data: epoch seconds, as lightweight-charts takes them.
    points = [(s.time, float(s.total), float(s.cash)) for s in reversed(rows)]
    start = portfolio.created_at
    if len(rows) < limit and (not points or points[0][0] > start):
        initial = float(portfolio.initial_cash)
        points.insert(0, (start, initial, initial))
    now = timezone.now()
    if now > points[-1][0]:
        total = add(portfolio.cash, positions_value(portfolio))
        points.append((now, float(total), float(portfolio.cash)))
    return [
        {"time_epoch_s": int(when.timestamp()), "total": total, "cash": cash}
        for when, total, cash in points
    ]


def agent_track_records(agent_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{agent id: (closed live paper trades, wins)} for every agent asked, in one query (an
    agent without closed trades is (0, 0)); replay sessions' round trips are not its record."""
    rows = (
        TradeLog.objects.filter(agent_id__in=agent_ids, portfolio__kind=Portfolio.Kind.PAPER)
        .values("agent_id")
        .annotate(trades=Count("id"), wins=Count("id", filter=Q(result="win")))
    )
    records = {pk: (0, 0) for pk in agent_ids}
    records.update({r["agent_id"]: (r["trades"], r["wins"]) for r in rows})
    return records
