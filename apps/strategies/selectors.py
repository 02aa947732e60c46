"""Strategy reads, always scoped to the owner: another user's strategy does not exist."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from .models import Strategy, StrategyVersion

# ASCII digits, at most 18: "²" is \d to re and a digit to isdigit, but not to int(), and a
# longer number is no id (int() of 4,300+ digits raises; SQLite overflows past 2**63).
SEED_ID = re.compile(r"^(?P<symbol>[A-Za-z0-9._-]+)_strategy_(?P<pk>[0-9]{1,18})$")
PK = re.compile(r"^[0-9]{1,18}$")


def strategy_list(*, owner, symbol: str | None = None) -> QuerySet[Strategy]:
    qs = Strategy.objects.filter(owner=owner)
    if symbol:
        qs = qs.filter(symbol__iexact=symbol.strip())
    return qs


def strategy_get(*, owner, ref: str | int) -> Strategy | None:
    """By numeric id or by the original seed-style id ``BTCUSDT_strategy_3``."""
    ref = str(ref).strip()
    if PK.match(ref):
        return Strategy.objects.filter(owner=owner, pk=int(ref)).first()
    m = SEED_ID.match(ref)
    if not m:
        return None
    return Strategy.objects.filter(owner=owner, pk=int(m["pk"]), symbol__iexact=m["symbol"]).first()


def strategy_versions(*, strategy: Strategy) -> QuerySet[StrategyVersion]:
    return strategy.versions.order_by("-number")


def strategy_backtests(*, strategy: Strategy, limit: int = 50):
    """The strategy's latest backtests, newest first (through the runs' own foreign key: the
    backtests app builds on this one, never the other way round)."""
    return (
        strategy.backtest_runs.select_related("strategy_version")
        # The page shows a row of metrics each: not the curves and snapshots beside them.
        .defer("equity_curve", "strategy_definition", "assumptions")
        .order_by("-created_at", "-id")[:limit]
    )


def strategy_version_get(*, owner, pk: int) -> StrategyVersion | None:
    return (
        StrategyVersion.objects.select_related("strategy")
        .filter(strategy__owner=owner, pk=pk)
        .first()
    )
