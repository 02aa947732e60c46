"""The isolation matrix (SPEC §1.1, §10, §13): users never see or touch each other's objects.

Every URL pattern of the project except /admin/ is listed in ``MATRIX``; a route that is
missing from it (a new one) or listed but gone fails ``test_every_route_is_in_the_matrix``,
and so does a model that is neither owned (``OWNED``) nor declared shared (``SHARED_MODELS``).
Each entry says how the route is checked, with user A (alice) owning one of everything,
made through the real services, and user B (bob) attacking it:

- ``obj``: the URL names one of A's objects. B (the API with a token, the pages with a
  signed-in session) sends GET, POST, PUT, PATCH and DELETE: each answers
  404 or 405 — the same status (and API body) as for an id that does not exist — and A's
  rows are unchanged. A's own request to the same URL (``probe``) succeeds, so the 404 is
  about the owner, not a wrong URL. Where A may delete the object through the URL
  (``deletes``), B's DELETE must be a 404 (not a 405), and A's own DELETE answers 204 and
  takes the object and the rows stored under it (``deletes`` names their models).
- ``lists``: B's GET shows none of A's objects (A's names all carry ``ALICEONLY``; ids are
  checked where ``ids`` says), while A's GET shows them (``a_sees``) and B's shows B's
  (``b_sees``), so the check is not vacuous.
- ``cases``: requests naming A's objects in a body or query string: refused with a 4xx
  that names the field (or 404) and no row created; or, for requests that act on the
  caller's own objects by a natural key A also uses, A's rows unchanged.
- ``shared`` / ``public``: global by design, or holding no user's objects, with the reason.

The world is built once per module (a few hundred candles, five-tree forests) and each
test runs in a transaction that is rolled back, so one test cannot disturb another.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from rest_framework.test import APIClient

from apps.accounts.services import token_create
from apps.agents.models import Agent, Signal
from apps.backtests.models import BacktestRun, BacktestTradeTable, Sweep, SweepResult
from apps.binance.models import BinanceCredential, KlineSync, SyncSchedule
from apps.core.models import ServiceTick
from apps.deskbt.models import DeskBacktest
from apps.marketdata.models import Candle, CandleImport, CandleSeries, Symbol
from apps.ml.models import TrainedModel
from apps.motherai.models import Decision
from apps.motherai.models import Schedule as MotherAISchedule
from apps.portfolio.models import Order, Portfolio, Position, Snapshot, TradeLog
from apps.replay.models import ReplayAgent, ReplayCandidate, ReplaySession, ReplayStep
from apps.strategies.models import Strategy, StrategyVersion
from conftest import BTC_1H, ETH_1H

MARK_A = "ALICEONLY"  # in every name A gives an object; B must never see it
MARK_B = "BOBOWN"
KEY_A, SECRET_A = "AliceKey0123456789abcdefAL1C", "AliceSecret0123456789abcdefZZ9"
KEY_B, SECRET_B = "BobKey0123456789abcdefghB0B0", "BobSecret0123456789abcdefghYY8"
CANDLES = 700  # per symbol: enough for agents (300), training (286) and a few trades

# --------------------------------------------------------------------------------------
# What belongs to whom
# --------------------------------------------------------------------------------------

# Every project model with a user behind it, and the lookup from the model to that user.
OWNED: list[tuple[type, str]] = [
    (Strategy, "owner"),
    (StrategyVersion, "strategy__owner"),
    (BacktestRun, "owner"),
    (BacktestTradeTable, "run__owner"),
    (Sweep, "owner"),
    (SweepResult, "sweep__owner"),
    (TrainedModel, "owner"),
    (Agent, "owner"),
    (Signal, "agent__owner"),
    (Decision, "owner"),
    (DeskBacktest, "owner"),
    (MotherAISchedule, "owner"),
    (Portfolio, "owner"),
    (Position, "portfolio__owner"),
    (Order, "portfolio__owner"),
    (TradeLog, "portfolio__owner"),
    (Snapshot, "portfolio__owner"),
    (CandleImport, "user"),
    (BinanceCredential, "owner"),
    (KlineSync, "owner"),
    (SyncSchedule, "owner"),
    (ReplaySession, "owner"),
    (ReplayAgent, "session__owner"),
    (ReplayStep, "session__owner"),
    (ReplayCandidate, "session__owner"),
]

SHARED_MODELS: dict[type, str] = {
    Symbol: "market data is global: every signed-in user reads every symbol (marketdata.models)",
    Candle: "market data is global: candles are read by all, written only with import_candles",
    CandleSeries: "a candle series' version stamp for the candle cache: no user data, no route",
    ServiceTick: "system status (beat's last tick): no user data, written only by a worker",
}


def owned_rows(user) -> dict[str, list[dict]]:
    return {
        m._meta.label: list(m.objects.filter(**{f: user}).order_by("pk").values()) for m, f in OWNED
    }


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m, _ in OWNED}


# --------------------------------------------------------------------------------------
# The matrix
# --------------------------------------------------------------------------------------

Payload = Callable[["World"], dict] | None


@dataclass(frozen=True)
class Case:
    """A request naming A's objects (``refuse``: one of ``expect``, no row created anywhere)
    or acting on B's own objects by a key A also uses (``refuse=False``: one of ``expect``,
    A's rows intact)."""

    label: str
    method: str
    query: Payload = None
    body: Payload = None
    expect: tuple[int, ...] = (400, 404)
    field: str | None = None  # the API's 400 names this field
    error: str | None = None  # the page's re-rendered form shows this error
    refuse: bool = True


@dataclass(frozen=True)
class Route:
    obj: str | None = None  # the kind of A's object the URL argument names
    probe: tuple[str, tuple[int, ...]] | None = None  # A's request to the same URL
    # DELETE removes the object: (its model, then (model, lookup to it) of what goes with it)
    deletes: tuple[type, tuple[tuple[type, str], ...]] | None = None
    lists: bool = False
    ids: tuple[tuple[type, str], ...] = ()  # (model, item key): no id of A's rows listed
    a_sees: bool = True
    b_sees: bool = False
    links: tuple[str, ...] = ()  # object routes whose URLs for A's objects must not appear
    cases: tuple[Case, ...] = ()
    shared: str = ""
    public: str = ""


GET200 = ("get", (200,))
# Object kinds whose URLs take several arguments (World.values gives them as tuples).
MULTI_ARG_KINDS = frozenset({"sweep_row"})


def _shape_a(symbol: str) -> dict:
    return {
        "symbol": symbol,
        "timeframe": "1h",
        "indicators": {
            "rsi": {"period": 14, "buy_below": 35, "sell_above": 65},
            "ema": {"period": 20, "buy_crosses_above": True, "sell_crosses_below": True},
        },
        "combine": "any",
    }


def _strategy_refs(w: World) -> list[str]:
    s = w.obj["strategy"]
    return [str(s.pk), s.seed_id, s.seed_id.lower()]


STRATEGY_REFUSED = tuple(
    Case(
        f"A's strategy as {how}",
        "post",
        body=(lambda w, i=i: {"strategy": _strategy_refs(w)[i], "interval": "1h"}),
        expect=(400,),
        field="strategy",
    )
    for i, how in enumerate(["id", "seed id", "lower-case seed id"])
)
SWEEP_REFUSED = tuple(
    Case(
        f"A's strategy as {how}",
        "post",
        body=(
            lambda w, i=i: {
                "strategy": _strategy_refs(w)[i],
                "grid": {"indicators.rsi.period": [7, 14]},
            }
        ),
        expect=(400,),
        field="strategy",
    )
    for i, how in enumerate(["id", "seed id"])
)


def _foreign_portfolios(w: World) -> list[int]:
    return [w.obj["portfolio"].pk, w.obj["book"].pk]


def _portfolio_query_cases(method: str = "get") -> tuple[Case, ...]:
    return tuple(
        Case(
            f"?portfolio= A's {which}",
            method,
            query=(lambda w, i=i: {"portfolio": _foreign_portfolios(w)[i]}),
            expect=(404,),
        )
        for i, which in enumerate(["default portfolio", "second portfolio"])
    )


def _compare_case(**kw) -> Case:
    """A's run (and an unknown id) picked for a comparison: "no such run" for both."""
    return Case(
        "A's run in ?runs=",
        "get",
        query=lambda w: {"runs": f"{w.obj['run'].pk},{w.obj['run'].pk + 10**6}"},
        expect=(400,),
        **kw,
    )


ORDER = {"symbol": "BTCUSDT", "action": "buy", "price": "12000"}
DESK_WINDOW = {"start": "2020-08-20T00:00:00Z", "end": "2020-08-29T00:00:00Z"}
DESK_AGENT_REFUSED = Case(
    "A's agent in a desk backtest",
    "post",
    body=lambda w: {**DESK_WINDOW, "agents": [w.obj["eth_agent"].pk]},
    expect=(400,),
    field="agents",
)
DESK_SWEEP_AGENT_REFUSED = Case(
    "A's agent in a desk sweep",
    "post",
    body=lambda w: {**DESK_WINDOW, "agents": [w.obj["eth_agent"].pk], "grid": {"top_n": [1, 2]}},
    expect=(400,),
    field="agents",
)

MATRIX: dict[str, Route] = {
    # ---- no user objects -------------------------------------------------------------
    "api/health/": Route(public="liveness: version numbers only; open to all, no user data"),
    "api/health/ready/": Route(
        public="database/broker/worker/beat status; open to all, no user data"
    ),
    "api/auth/token/": Route(public="trades the caller's own password for the caller's token"),
    "api/schema/": Route(public="the OpenAPI document: describes routes, holds no objects"),
    "api/docs/": Route(public="Swagger UI over the schema; holds no objects"),
    "accounts/login/": Route(public="signs the caller in; no objects"),
    "accounts/logout/": Route(public="signs the caller out; no objects"),
    "api/strategies/validate/": Route(
        public="validates the JSON in the body; reads and stores no strategy"
    ),
    # ---- shared market data ----------------------------------------------------------
    "api/market-data/symbols/": Route(shared=SHARED_MODELS[Symbol]),
    "api/market-data/symbols/<str:name>/": Route(shared=SHARED_MODELS[Symbol]),
    "api/market-data/candles/": Route(shared=SHARED_MODELS[Candle]),
    "api/binance/ohlcv/": Route(
        shared="public exchange klines (POST stores them as shared candles, with "
        "import_candles); no key, no user object"
    ),
    # ---- market-data imports (owned records of shared data) --------------------------
    "api/market-data/imports/": Route(
        lists=True, ids=((CandleImport, "id"),), b_sees=True
    ),  # POST needs the import_candles permission (403 by design) and names no object
    "api/market-data/imports/<int:pk>/": Route(obj="import", probe=GET200),
    "market-data/": Route(lists=True, b_sees=True),
    # ---- strategies ------------------------------------------------------------------
    "api/strategies/": Route(
        lists=True,
        ids=((Strategy, "id"),),
        b_sees=True,
        cases=(
            Case(
                "B saves a strategy under A's name: B's own",
                "post",
                body=lambda w: {
                    "name": w.obj["strategy"].name,
                    "strategy_json": _shape_a("BTCUSDT"),
                },
                expect=(201,),
                refuse=False,
            ),
        ),
    ),
    "api/strategies/<str:ref>/": Route(obj="strategy", probe=GET200),
    "api/strategies/<str:ref>/versions/": Route(obj="strategy", probe=GET200),
    "api/strategies/<str:ref>/performance/": Route(obj="strategy", probe=GET200),
    "strategies/": Route(lists=True, b_sees=True, links=("strategies/<int:ref>/",)),
    "strategies/new/": Route(lists=True, a_sees=False),  # a blank form; POST names no object
    "strategies/<int:ref>/": Route(obj="strategy", probe=GET200),
    "strategies/<int:ref>/edit/": Route(obj="strategy", probe=GET200),
    "strategies/<int:ref>/delete/": Route(obj="strategy", probe=("post", (302,))),
    # ---- backtests and sweeps --------------------------------------------------------
    "api/backtests/": Route(lists=True, ids=((BacktestRun, "id"),), cases=STRATEGY_REFUSED),
    "api/backtests/results/": Route(lists=True, ids=((BacktestRun, "run"),), a_sees=False),
    "api/backtests/sweeps/": Route(lists=True, ids=((Sweep, "id"),), cases=SWEEP_REFUSED),
    "api/backtests/sweeps/<int:pk>/": Route(
        obj="sweep", probe=GET200, deletes=(Sweep, ((SweepResult, "sweep"),))
    ),
    "api/backtests/sweeps/<int:pk>/cancel/": Route(obj="sweep", probe=("post", (409,))),
    "api/backtests/sweeps/<int:pk>/rows/<int:combo>/backtest/": Route(
        obj="sweep_row", probe=("post", (202,))
    ),
    "api/backtests/sweeps/<int:pk>/rows/<int:combo>/save/": Route(
        obj="sweep_row", probe=("post", (201,))
    ),
    "api/backtests/<int:pk>/": Route(
        obj="run", probe=GET200, deletes=(BacktestRun, ((BacktestTradeTable, "run"),))
    ),
    "api/backtests/<int:pk>/trades/": Route(obj="run", probe=GET200),
    "api/backtests/compare/": Route(cases=(_compare_case(field="runs"),)),
    "api/backtests/<int:pk>/equity/": Route(obj="run", probe=GET200),
    "api/backtests/<int:pk>/chart/": Route(obj="run", probe=GET200),
    "api/backtests/<int:pk>/cancel/": Route(obj="run", probe=("post", (409,))),
    "backtests/": Route(lists=True, links=("backtests/<int:pk>/", "backtests/sweeps/<int:pk>/")),
    "backtests/new/": Route(
        lists=True,
        a_sees=False,
        cases=(
            Case(
                "?strategy= A's id pre-selects nothing",
                "get",
                query=lambda w: {"strategy": w.obj["strategy"].pk},
                expect=(200,),
                refuse=False,
            ),
            Case(
                "A's strategy in the form",
                "post",
                body=lambda w: {**FORM_PARAMS, "strategy": w.obj["strategy"].pk},
                expect=(200,),
                error="Select a valid choice",
            ),
        ),
    ),
    "backtests/<int:pk>/": Route(obj="run", probe=GET200),
    "backtests/<int:pk>/export/": Route(obj="run", probe=GET200),
    "backtests/compare/": Route(cases=(_compare_case(error="no such run"),)),
    "backtests/<int:pk>/cancel/": Route(obj="run", probe=("post", (302,))),
    "backtests/<int:pk>/rerun/": Route(obj="run", probe=("post", (302,))),
    "backtests/<int:pk>/clone/": Route(obj="run", probe=("post", (302,))),
    "backtests/<int:pk>/delete/": Route(obj="run", probe=("post", (302,))),
    "backtests/sweeps/new/": Route(
        lists=True,
        a_sees=False,
        cases=(
            Case(
                "A's strategy in the form",
                "post",
                body=lambda w: {
                    **FORM_PARAMS,
                    "strategy": w.obj["strategy"].pk,
                    "grid": '{"indicators.rsi.period": [7, 14]}',
                    "metric": "total_return_pct",
                    "walk_forward_windows": 0,
                },
                expect=(200,),
                error="Select a valid choice",
            ),
        ),
    ),
    "backtests/sweeps/<int:pk>/": Route(obj="sweep", probe=GET200),
    "backtests/sweeps/<int:pk>/export/": Route(obj="sweep", probe=GET200),
    "backtests/sweeps/<int:pk>/cancel/": Route(obj="sweep", probe=("post", (302,))),
    "backtests/sweeps/<int:pk>/rows/<int:combo>/open/": Route(
        obj="sweep_row", probe=("post", (302,))
    ),
    "backtests/sweeps/<int:pk>/rows/<int:combo>/save/": Route(
        obj="sweep_row", probe=("post", (302,))
    ),
    # ---- ML models -------------------------------------------------------------------
    "api/ml/models/": Route(lists=True, ids=((TrainedModel, "id"),)),  # POST names no object
    "api/ml/models/<int:pk>/": Route(obj="model", probe=GET200),
    "api/ml/models/<int:pk>/predict/": Route(obj="model", probe=("post", (200,))),
    "api/ml/models/<int:pk>/cancel/": Route(obj="model", probe=("post", (409,))),
    "ml/": Route(lists=True, links=("ml/<int:pk>/",)),  # the training form names no object
    "ml/<int:pk>/": Route(obj="model", probe=GET200),
    "ml/<int:pk>/delete/": Route(obj="model", probe=("post", (302,))),
    "ml/<int:pk>/cancel/": Route(obj="model", probe=("post", (302,))),
    # ---- agents ----------------------------------------------------------------------
    "api/agents/": Route(
        lists=True,
        ids=((Agent, "id"),),
        b_sees=True,
        cases=(
            *(
                Case(
                    f"A's strategy as {how}",
                    "post",
                    body=(lambda w, i=i: {"symbol": "XRPUSDT", "strategy": _strategy_refs(w)[i]}),
                    expect=(400,),
                    field="strategy",
                )
                for i, how in enumerate(["id", "seed id"])
            ),
            Case(
                "B's strategy with A's model",
                "post",
                body=lambda w: {
                    "symbol": "BTCUSDT",
                    "strategy": w.obj["b_strategy"].pk,
                    "model": w.obj["model"].pk,
                },
                expect=(400,),
                field="model",
            ),
            Case(
                "B's agent on a symbol A's agent watches: B's own",
                "post",
                body=lambda w: {"symbol": "BTCUSDT", "strategy": w.obj["b_strategy"].pk},
                expect=(201,),
                refuse=False,
            ),
        ),
    ),
    "api/agents/predictions/": Route(lists=True, ids=((Agent, "agent_id"),), b_sees=True),
    "api/agents/<int:pk>/": Route(obj="agent", probe=GET200),
    "api/agents/<int:pk>/signals/": Route(obj="agent", probe=GET200),
    "api/agents/<str:symbol>/predict/": Route(obj="agent_symbol", probe=GET200),
    "agents/": Route(
        lists=True,
        b_sees=True,
        links=("agents/<int:pk>/",),
        cases=(
            Case(
                "A's strategy in the form",
                "post",
                body=lambda w: {"symbol": "XRPUSDT", "strategy": w.obj["strategy"].pk},
                expect=(200,),
                error="strategy: choose one of your strategies",
            ),
            Case(
                "B's strategy with A's model in the form",
                "post",
                body=lambda w: {
                    "symbol": "BTCUSDT",
                    "strategy": w.obj["b_strategy"].pk,
                    "model": w.obj["model"].pk,
                },
                expect=(200,),
                error="model: choose one of your trained models",
            ),
        ),
    ),
    "agents/<int:pk>/": Route(obj="agent", probe=GET200),
    "agents/<int:pk>/toggle/": Route(obj="agent", probe=("post", (302,))),
    # ---- Mother AI -------------------------------------------------------------------
    "api/mother-ai/decision/": Route(
        lists=True,
        ids=((Agent, "agent_id"),),
        b_sees=True,
        cases=(
            Case(
                "B decides and executes: only B's agents and portfolio",
                "post",
                body=lambda w: {"top_n": 5, "min_score": 0.0, "execute": True},
                expect=(201,),
                refuse=False,
            ),
        ),
    ),
    "api/mother-ai/decisions/": Route(lists=True, ids=((Decision, "id"),)),
    "api/mother-ai/decisions/<int:pk>/": Route(obj="decision", probe=GET200),
    "api/mother-ai/decisions/<int:pk>/execute/": Route(obj="decision", probe=("post", (200,))),
    "api/mother-ai/trades/": Route(lists=True, ids=((TradeLog, "id"),)),
    "mother-ai/": Route(
        lists=True,
        links=("mother-ai/<int:pk>/",),
        cases=(
            Case(
                "B decides and executes from the page: B's own",
                "post",
                body=lambda w: {"top_n": 5, "min_score": 0, "execute": "1"},
                expect=(302,),
                refuse=False,
            ),
        ),
    ),
    "mother-ai/<int:pk>/": Route(obj="decision", probe=GET200),
    "mother-ai/<int:pk>/execute/": Route(obj="decision", probe=("post", (302,))),
    # ---- desk backtests ----------------------------------------------------------------
    "api/mother-ai/backtests/": Route(
        lists=True, ids=((DeskBacktest, "id"),), cases=(DESK_AGENT_REFUSED,)
    ),
    "api/mother-ai/backtests/sweep/": Route(cases=(DESK_SWEEP_AGENT_REFUSED,)),
    "api/mother-ai/backtests/<int:pk>/": Route(obj="deskbt", probe=GET200),
    "api/mother-ai/backtests/<int:pk>/audit/": Route(obj="deskbt", probe=GET200),
    "api/mother-ai/backtests/<int:pk>/trades/": Route(obj="deskbt", probe=GET200),
    "api/mother-ai/backtests/<int:pk>/cancel/": Route(obj="deskbt", probe=("post", (409,))),
    "mother-ai/backtests/": Route(lists=True, links=("mother-ai/backtests/<int:pk>/",)),
    "mother-ai/backtests/new/": Route(
        lists=True,
        a_sees=False,
        cases=(
            Case(
                "A's agent in the form",
                "post",
                body=lambda w: {**DESK_WINDOW, "agents": w.obj["eth_agent"].pk},
                expect=(200,),
                error="Select a valid choice",
            ),
        ),
    ),
    "mother-ai/backtests/<int:pk>/": Route(obj="deskbt", probe=GET200),
    "mother-ai/backtests/<int:pk>/cancel/": Route(obj="deskbt", probe=("post", (302,))),
    # ---- paper portfolio -------------------------------------------------------------
    "api/portfolio/": Route(lists=True, ids=((Portfolio, "id"),), cases=_portfolio_query_cases()),
    "api/portfolio/portfolios/": Route(
        lists=True,
        ids=((Portfolio, "id"),),
        cases=(
            Case(
                "B names a portfolio like A's: B's own",
                "post",
                body=lambda w: {"name": w.obj["book"].name},
                expect=(201,),
                refuse=False,
            ),
        ),
    ),
    "api/portfolio/reset/": Route(
        cases=(
            *_portfolio_query_cases("post"),
            Case("B resets B's own default", "post", expect=(200,), refuse=False),
        )
    ),
    "api/portfolio/orders/": Route(
        lists=True,
        ids=((Order, "id"),),
        cases=(
            *_portfolio_query_cases(),
            *(
                Case(
                    f"A's {which} in the order body",
                    "post",
                    body=(lambda w, i=i: {**ORDER, "portfolio": _foreign_portfolios(w)[i]}),
                    expect=(400,),
                    field="portfolio",
                )
                for i, which in enumerate(["default portfolio", "second portfolio"])
            ),
            *(
                Case(
                    f"A's {which} as ?portfolio= on an order",
                    "post",
                    query=(lambda w, i=i: {"portfolio": _foreign_portfolios(w)[i]}),
                    body=lambda w: ORDER,
                    expect=(404,),
                )
                for i, which in enumerate(["default portfolio", "second portfolio"])
            ),
        ),
    ),
    "api/portfolio/trades/": Route(
        lists=True, ids=((TradeLog, "id"),), cases=_portfolio_query_cases()
    ),
    "api/portfolio/performance/": Route(lists=True, cases=_portfolio_query_cases()),
    "portfolio/": Route(
        lists=True,
        cases=(
            *_portfolio_query_cases(),
            *(
                Case(
                    f"A's {which} in the order form",
                    "post",
                    body=(lambda w, i=i: {**ORDER, "portfolio": _foreign_portfolios(w)[i]}),
                    expect=(404,),
                )
                for i, which in enumerate(["default portfolio", "second portfolio"])
            ),
        ),
    ),
    "portfolio/export/": Route(cases=_portfolio_query_cases()),
    "portfolio/reset/": Route(
        cases=tuple(
            Case(
                f"A's {which} in the reset form",
                "post",
                body=(lambda w, i=i: {"portfolio": _foreign_portfolios(w)[i]}),
                expect=(404,),
            )
            for i, which in enumerate(["default portfolio", "second portfolio"])
        )
    ),
    # ---- Binance ---------------------------------------------------------------------
    "api/binance/connect/": Route(
        cases=(
            Case(
                "B connects B's key: B's own",
                "post",
                body=lambda w: {"apiKey": KEY_B, "secretKey": SECRET_B},
                expect=(201,),
                refuse=False,
            ),
            Case("B disconnects: B's key only", "delete", expect=(204,), refuse=False),
        )
    ),
    "api/binance/status/": Route(lists=True, b_sees=True),
    "api/binance/syncs/": Route(lists=True, ids=((KlineSync, "id"),), a_sees=False),
    "api/binance/syncs/<int:pk>/": Route(obj="sync", probe=GET200),
    "api/binance/syncs/<int:pk>/cancel/": Route(obj="sync", probe=("post", (409,))),
    "binance/syncs/<int:pk>/cancel/": Route(obj="sync", probe=("post", (302,))),
    "api/binance/schedules/": Route(
        lists=True,
        ids=((SyncSchedule, "id"),),
        a_sees=False,
        cases=(
            Case(
                "B schedules the market A schedules: B's own",
                "post",
                body=lambda w: {
                    "symbol": "BTCUSDT",
                    "interval": "1h",
                    "start": "2020-08-03T00:00:00Z",
                    "every_minutes": 5,
                    "enabled": True,
                },
                expect=(201,),
                refuse=False,
            ),
        ),
    ),
    "api/binance/schedules/<int:pk>/": Route(obj="schedule", probe=GET200),
    "binance/": Route(
        lists=True,
        b_sees=True,
        cases=(
            *(
                Case(
                    f"A's schedule in a {action} form",
                    "post",
                    body=(
                        lambda w, action=action: {
                            "action": action,
                            "schedule": w.obj["schedule"].pk,
                        }
                    ),
                    expect=(404,),
                )
                for action in ("schedule_toggle", "schedule_delete")
            ),
            Case(
                "B disconnects from the page: B's key only",
                "post",
                body=lambda w: {"action": "disconnect"},
                expect=(302,),
                refuse=False,
            ),
            Case(
                "B schedules the market A schedules from the page: B's own",
                "post",
                body=lambda w: {
                    "action": "schedule",
                    "symbol": "BTCUSDT",
                    "interval": "1h",
                    "start": "2020-08-03",
                    "every_minutes": "5",
                },
                expect=(302,),
                refuse=False,
            ),
        ),
    ),
    # ---- replay ----------------------------------------------------------------------
    "api/replay/sessions/": Route(
        lists=True,
        ids=((ReplaySession, "id"),),
        cases=(
            Case(
                "B replays A's agent",
                "post",
                body=lambda w: {
                    "agents": [w.obj["eth_agent"].pk],
                    "start": "2020-08-20T00:00:00Z",
                    "end": "2020-08-25T00:00:00Z",
                },
                field="agents",
            ),
        ),
    ),
    "api/replay/sessions/<int:pk>/": Route(obj="replay", probe=GET200),
    "api/replay/sessions/<int:pk>/live/": Route(obj="replay", probe=GET200),
    "api/replay/sessions/<int:pk>/steps/": Route(obj="replay", probe=GET200),
    **{
        f"api/replay/sessions/<int:pk>/{action}/": Route(obj="replay", probe=("post", (200,)))
        for action in ("start", "resume", "pause", "step", "stop")
        if action != "pause"  # A's session is paused: pausing it again is a 400
    },
    "api/replay/sessions/<int:pk>/pause/": Route(obj="replay", probe=("post", (400,))),
    "replay/": Route(
        lists=True,
        links=("replay/<int:pk>/",),
        cases=(
            Case(
                "B replays A's agent from the page",
                "post",
                body=lambda w: {
                    "agents": [w.obj["eth_agent"].pk],
                    "start": "2020-08-20 00:00",
                    "end": "2020-08-25 00:00",
                },
                error="Select a valid choice",
            ),
        ),
    ),
    "replay/<int:pk>/": Route(obj="replay", probe=GET200),
    "replay/<int:pk>/control/": Route(obj="replay", probe=("post", (302,))),
    # ---- the dashboard ---------------------------------------------------------------
    "": Route(lists=True, b_sees=True, links=("mother-ai/<int:pk>/", "replay/<int:pk>/")),
}

FORM_PARAMS = {
    "initial_balance": 10000,
    "fee_rate": 0.001,
    "slippage_bps": 0,
    "fill": "next_open",
}


# --------------------------------------------------------------------------------------
# The routes, from the resolver
# --------------------------------------------------------------------------------------


def project_routes() -> set[str]:
    """Every URL pattern of the project (except the admin's) as its full route."""
    out: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith("admin/"):
                    continue
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                out.add(prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "")
    return out


def route_args(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def fill(route: str, value: str | tuple[str, ...]) -> str | None:
    """The URL of a route for ``value`` (a tuple: one value per argument, in order), if the
    route accepts it."""
    values = iter(value if isinstance(value, tuple) else ())
    url = "/" + re.sub(
        r"<(?:\w+:)?\w+>",
        lambda _: str(next(values)) if isinstance(value, tuple) else str(value),
        route,
    )
    try:
        return url if resolve(url).route == route else None
    except Resolver404:
        return None


def is_api(route: str) -> bool:
    return route.startswith("api/")


# --------------------------------------------------------------------------------------
# A's world (and a little of B's), through the services
# --------------------------------------------------------------------------------------


@dataclass
class World:
    a: Any
    b: Any
    b_token: str
    obj: dict[str, Any] = field(default_factory=dict)
    a_hint: str = ""
    b_hint: str = ""

    def a_secrets(self) -> dict[str, str]:
        return {"key hint": self.a_hint, "API key": KEY_A, "secret": SECRET_A}

    def sees(self, user, body: str) -> bool:
        """Does the body show one of ``user``'s objects (a marked name or the key hint)?"""
        mark, hint = (MARK_A, self.a_hint) if user == self.a else (MARK_B, self.b_hint)
        return mark.lower() in body.lower() or bool(hint and hint in body)

    def values(self, kind: str) -> list[str]:
        """The URL argument values that name A's object of this kind."""
        if kind == "strategy":
            return _strategy_refs(self)
        if kind == "agent_symbol":
            return [self.obj["agent"].symbol]
        if kind == "sweep_row":  # (the sweep, its first combination)
            return [(str(self.obj["sweep"].pk), "0")]
        return [str(self.obj[kind].pk)]

    def missing(self, kind: str) -> list[str]:
        if kind == "strategy":
            return ["987654321", "BTCUSDT_strategy_987654321"]
        if kind == "agent_symbol":
            return ["NOSUCHUSDT"]
        if kind == "sweep_row":
            return [("987654321", "0")]
        return ["987654321"]

    def a_ids(self, model: type) -> set[int]:
        lookup = dict(OWNED)[model]
        return set(model.objects.filter(**{lookup: self.a}).values_list("pk", flat=True))


def _slice(path: Path, n: int = CANDLES) -> bytes:
    return ("\n".join(path.read_text().splitlines()[:n]) + "\n").encode()


def build_world() -> World:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from apps.agents.services import agent_create, agent_evaluate
    from apps.backtests.services import backtest_create, sweep_create
    from apps.binance.services import credential_connect, kline_sync_start, schedule_save
    from apps.deskbt.services import desk_backtest_create
    from apps.marketdata.services import candles_import
    from apps.ml.services import model_train_start
    from apps.motherai.services import decision_execute, decision_make
    from apps.portfolio.services import (
        order_place,
        portfolio_create,
        portfolio_get_or_create_default,
    )
    from apps.replay.services import replay_control, replay_create
    from apps.strategies.services import strategy_create

    users = get_user_model().objects
    a = users.create_user(username="iso-alice", password="alice-pass-123")
    b = users.create_user(username="iso-bob", password="bob-pass-123")
    # Syncs and schedules store shared candles: that takes import_candles (issue 12); both
    # may, so the cases below test isolation, not the permission (tests/hostile does).
    for u in (a, b):
        u.user_permissions.add(Permission.objects.get(codename="import_candles"))
    w = World(a=a, b=b, b_token=token_create(user=b)[1])
    o = w.obj

    o["import"] = candles_import(
        source=_slice(BTC_1H),
        symbol="BTCUSDT",
        interval="1h",
        user=a,
        filename=f"{MARK_A}-btc.csv",
        source_kind=CandleImport.Source.UPLOAD,
    )
    o["b_import"] = candles_import(
        source=_slice(ETH_1H),
        symbol="ETHUSDT",
        interval="1h",
        user=b,
        filename=f"{MARK_B}-eth.csv",
        source_kind=CandleImport.Source.UPLOAD,
    )
    assert o["import"].status == o["b_import"].status == "succeeded"

    o["strategy"] = strategy_create(
        owner=a, definition=_shape_a("BTCUSDT"), name=f"{MARK_A} RSI EMA", notes=MARK_A
    )
    o["eth_strategy"] = strategy_create(
        owner=a, definition=_shape_a("ETHUSDT"), name=f"{MARK_A} ETH"
    )
    o["b_strategy"] = strategy_create(owner=b, definition=_shape_a("BTCUSDT"), name=f"{MARK_B} RSI")

    o["run"] = backtest_create(owner=a, strategy=o["strategy"].pk)
    o["run"].refresh_from_db()
    assert o["run"].status == "succeeded" and o["run"].trade_table.count, o["run"].error
    o["sweep"] = sweep_create(
        owner=a, strategy=o["strategy"].pk, grid={"indicators.rsi.period": [7, 14]}
    )
    o["sweep"].refresh_from_db()
    assert o["sweep"].status == "succeeded" and o["sweep"].results.count() == 2, o["sweep"].error

    o["model"] = model_train_start(
        owner=a,
        symbol="BTCUSDT",
        interval="1h",
        params={"n_estimators": 5},
        name=f"{MARK_A} forest",
    )
    o["model"].refresh_from_db()
    assert o["model"].status == "succeeded", o["model"].error

    o["agent"] = agent_create(
        owner=a, symbol="BTCUSDT", strategy=o["strategy"], model=o["model"], name=f"{MARK_A}Btc"
    )
    o["agent_symbol"] = o["agent"]
    o["eth_agent"] = agent_create(
        owner=a, symbol="ETHUSDT", strategy=o["eth_strategy"], name=f"{MARK_A}Eth"
    )
    o["b_agent"] = agent_create(
        owner=b, symbol="ETHUSDT", strategy=o["b_strategy"], name=f"{MARK_B}Eth"
    )
    for agent in (o["agent"], o["eth_agent"]):
        agent_evaluate(agent, store=True)
    assert Signal.objects.filter(agent__owner=a).count() == 2

    o["deskbt"] = desk_backtest_create(
        owner=a,
        agent_ids=[o["eth_agent"].pk],
        start=datetime(2020, 8, 20, tzinfo=UTC),
        end=datetime(2020, 8, 29, tzinfo=UTC),
        name=f"{MARK_A} desk",
        seeds=5,
        min_score=0.0,
    )
    o["deskbt"].refresh_from_db()
    assert o["deskbt"].status == "succeeded" and o["deskbt"].audit_rows, o["deskbt"].error
    o["portfolio"] = portfolio_get_or_create_default(owner=a)
    o["book"] = portfolio_create(owner=a, name=f"{MARK_A} book")
    o["decision"] = decision_make(owner=a, top_n=5, min_score=0.0, trigger="api")
    o["decision"] = decision_execute(decision=o["decision"])
    common = {"owner": a, "strategy_name": f"{MARK_A} RSI EMA", "notes": MARK_A}
    order_place(**common, symbol="BTCUSDT", action="buy", price=Decimal("11000"), source="motherai")
    order_place(
        **common, symbol="BTCUSDT", action="sell", price=Decimal("11500"), source="motherai"
    )
    order_place(**common, symbol="ETHUSDT", action="buy", price=Decimal("390"))
    order_place(
        **common, portfolio=o["book"], symbol="BTCUSDT", action="buy", price=Decimal("11000")
    )
    assert TradeLog.objects.filter(portfolio__owner=a, source="motherai").exists()
    order_place(owner=b, symbol="ETHUSDT", action="buy", price=Decimal("390"), notes=MARK_B)

    o["replay"] = replay_create(
        owner=a,
        name=f"{MARK_A} replay",
        agent_ids=[o["eth_agent"].pk],
        start=datetime(2020, 8, 20, tzinfo=UTC),
        end=datetime(2020, 8, 25, tzinfo=UTC),
        bars_per_step=24,
        params={"min_score": 0.0},
    )
    o["replay"] = replay_control(session=o["replay"], action="step")
    assert o["replay"].steps_done == 24 and o["replay"].candidates.exists()

    credential_connect(owner=a, api_key=KEY_A, secret=SECRET_A)
    credential_connect(owner=b, api_key=KEY_B, secret=SECRET_B)
    w.a_hint = BinanceCredential.objects.get(owner=a).key_hint
    w.b_hint = BinanceCredential.objects.get(owner=b).key_hint
    start = datetime(2020, 8, 3, tzinfo=UTC)
    o["sync"] = kline_sync_start(
        owner=a, symbol="BTCUSDT", interval="1h", start=start, end=datetime(2020, 8, 5, tzinfo=UTC)
    )
    o["sync"].refresh_from_db()
    assert o["sync"].status == "succeeded", o["sync"].error
    o["schedule"] = schedule_save(
        owner=a, symbol="BTCUSDT", interval="1h", start=start, every_minutes=45, enabled=False
    )
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from apps.binance.tests.fakeserver import FakeBinance

    server = FakeBinance({KEY_A: SECRET_A, KEY_B: SECRET_B}).start()
    exchange = override_settings(BINANCE_BASE_URL=server.url, BINANCE_TIMEOUT=3)
    exchange.enable()
    try:
        with django_db_blocker.unblock():
            try:
                yield build_world()
            finally:
                # The world was committed (its jobs ran on commit): leave an empty database
                # behind for the next module, as a transactional test would.
                call_command("flush", interactive=False, verbosity=0)
    finally:
        exchange.disable()
        server.stop()


# --------------------------------------------------------------------------------------
# Clients and requests
# --------------------------------------------------------------------------------------


def b_clients(w: World, route: str) -> list[tuple[str, Client]]:
    """B as an API client does (token) or as the browser does (a signed-in session)."""
    if is_api(route):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {w.b_token}")
        return [("token", client)]
    client = Client()
    client.force_login(w.b)
    return [("session", client)]


def a_client(w: World, route: str) -> Client:
    if is_api(route):
        client = APIClient()
        client.force_authenticate(w.a)
        return client
    client = Client()
    client.force_login(w.a)
    return client


def send(client: Client, method: str, url: str, *, api: bool, body: dict | None = None):
    if method == "get":
        return client.get(url, body or None)
    if api:
        return getattr(client, method)(url, body or {}, format="json")
    if method == "post":
        return client.post(url, body or {})
    form = urlencode(body or {})
    return getattr(client, method)(url, form, content_type="application/x-www-form-urlencoded")


def text(response) -> str:
    return response.content.decode("utf-8", "replace")


def hijack_body(w: World, api: bool) -> dict:
    """A body every mutating view would accept if it reached A's object."""
    definition = _shape_a("BTCUSDT")
    return {
        "name": "hijacked",
        "notes": "hijacked",
        "enabled": False,
        "every_minutes": 5,
        "symbol": "BTCUSDT",
        "interval": "1h",
        "strategy_json": definition if api else json.dumps(definition),
    }


def leaks(w: World, body: str) -> list[str]:
    found = []
    if MARK_A.lower() in body.lower():
        found.append(MARK_A)
    found += [f"A's {what}" for what, v in w.a_secrets().items() if v and v in body]
    return found


def items(payload: Any) -> list[dict]:
    """The objects of an API answer: a page's results, a list, or the object itself,
    with the candidates of a decision."""
    if isinstance(payload, dict) and "results" in payload:
        payload = payload["results"]
    rows = payload if isinstance(payload, list) else [payload]
    out = []
    for row in rows:
        if isinstance(row, dict):
            out.append(row)
            out += [c for c in row.get("candidates") or [] if isinstance(c, dict)]
    return out


def a_links(w: World, spec: Route) -> list[str]:
    urls = (fill(route, v) for route in spec.links for v in w.values(MATRIX[route].obj))
    return [u for u in urls if u]


METHODS = ("get", "post", "put", "patch", "delete")
OBJ_ROUTES = sorted(r for r, spec in MATRIX.items() if spec.obj)
LIST_ROUTES = sorted(r for r, spec in MATRIX.items() if spec.lists)
SHARED_ROUTES = sorted(r for r, spec in MATRIX.items() if spec.shared)
CASES = [(r, c) for r, spec in sorted(MATRIX.items()) for c in spec.cases]


# --------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------


def test_every_route_is_in_the_matrix():
    routes = project_routes()
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes not in the isolation matrix (add them to MATRIX): {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"
    for route, spec in MATRIX.items():
        assert spec.obj or spec.lists or spec.cases or spec.shared or spec.public, route
        if route_args(route):
            assert spec.obj or spec.shared, f"{route} takes an argument: obj= or shared="
            assert len(route_args(route)) == 1 or spec.obj in MULTI_ARG_KINDS, (
                f"{route}: teach fill() several arguments (MULTI_ARG_KINDS)"
            )
        if spec.obj:
            assert spec.probe, f"{route}: A's probe shows the URL reaches the object"


def test_every_model_is_owned_or_declared_shared():
    project = {
        m
        for m in django_apps.get_models()
        if m.__module__.startswith("apps.")
        and m is not django_apps.get_model(settings.AUTH_USER_MODEL)
    }
    classified = {m for m, _ in OWNED} | set(SHARED_MODELS)
    assert project - classified == set(), "classify these models in OWNED or SHARED_MODELS"
    assert classified - project == set()


@pytest.mark.parametrize("route", OBJ_ROUTES)
def test_another_users_object_answers_404_or_405_to_every_method(route, world, db):
    w, spec, api = world, MATRIX[route], is_api(route)
    urls = [u for u in (fill(route, v) for v in w.values(spec.obj)) if u]
    missing = next(u for u in (fill(route, v) for v in w.missing(spec.obj)) if u)
    assert urls, f"no URL of {route} names A's {spec.obj}"
    before_a, before_counts = owned_rows(w.a), row_counts()
    problems = []
    for name, client in b_clients(w, route):
        for method in METHODS:
            body = None if method == "get" else hijack_body(w, api)
            gone = send(client, method, missing, api=api, body=body)
            for url in urls:
                r = send(client, method, url, api=api, body=body)
                where = f"{name} {method.upper()} {url}"
                if method == "delete" and spec.deletes and r.status_code != 404:
                    problems.append(f"{where}: {r.status_code} (want 404: A may delete it)")
                elif r.status_code not in (404, 405):
                    problems.append(f"{where}: {r.status_code} (want 404/405)")
                elif r.status_code != gone.status_code:
                    problems.append(
                        f"{where}: {r.status_code}, but {gone.status_code} when missing"
                    )
                elif api and r.content != gone.content:
                    problems.append(f"{where}: body differs from a missing id's: {text(r)[:200]}")
                if leaks(w, text(r)):
                    problems.append(f"{where}: shows {leaks(w, text(r))}")
    assert not problems, "\n".join(problems)
    assert owned_rows(w.a) == before_a, "B changed A's rows"
    assert row_counts() == before_counts, "B's requests created or deleted rows"

    method, ok = spec.probe
    for url in urls if method == "get" else urls[:1]:  # a POST probe may delete the object
        r = send(a_client(w, route), method, url, api=api)
        assert r.status_code in ok, (
            f"A's own {method.upper()} {url}: {r.status_code} {text(r)[:300]}"
        )
    if spec.deletes:
        model, children = spec.deletes
        pk = w.obj[spec.obj].pk
        assert all(child.objects.filter(**{key: pk}).exists() for child, key in children), (
            f"{route}: A's {spec.obj} has nothing stored under it: the check proves nothing"
        )
        r = send(a_client(w, route), "delete", urls[0], api=api)
        assert r.status_code == 204, f"A's own DELETE {urls[0]}: {r.status_code} {text(r)[:300]}"
        assert not model.objects.filter(pk=pk).exists()
        for child, key in children:
            assert not child.objects.filter(**{key: pk}).exists(), f"{child.__name__} left"


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_lists_show_another_user_nothing(route, world, db):
    w, spec, api = world, MATRIX[route], is_api(route)
    url = "/" + route
    before_a = owned_rows(w.a)
    for name, client in b_clients(w, route):
        r = client.get(url)
        assert r.status_code == 200, f"{name} GET {url}: {r.status_code} {text(r)[:300]}"
        assert not leaks(w, text(r)), f"{name} GET {url} shows {leaks(w, text(r))}"
        if spec.b_sees:
            assert w.sees(w.b, text(r)), f"{name} GET {url}: B's own objects are missing"
        shown = [u for u in a_links(w, spec) if u in text(r)]
        assert not shown, f"{name} GET {url} links to A's {shown}"
        if api and spec.ids:
            rows = items(r.json())
            for model, key in spec.ids:
                shown = {row.get(key) for row in rows} & w.a_ids(model)
                assert not shown, f"{name} GET {url} lists A's {model.__name__} {sorted(shown)}"
    assert owned_rows(w.a) == before_a, "B's GET changed A's rows"
    if spec.a_sees:
        r = a_client(w, route).get(url)
        seen = w.sees(w.a, text(r)) or any(u in text(r) for u in a_links(w, spec))
        assert r.status_code == 200 and seen, (
            f"A's own GET {url} does not show A's objects: the check above proves nothing"
        )


@pytest.mark.parametrize(("route", "case"), CASES, ids=[f"{r or '/'}-{c.label}" for r, c in CASES])
def test_requests_naming_another_users_objects_are_refused(route, case, world, db):
    w, api = world, is_api(route)
    before_a, before_counts = owned_rows(w.a), row_counts()
    query = case.query(w) if case.query else {}
    url = "/" + route + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    body = case.body(w) if case.body else None
    for name, client in b_clients(w, route):
        r = send(client, case.method, url, api=api, body=body)
        where = f"{name} {case.method.upper()} {url} {body or ''}"
        assert r.status_code in case.expect, f"{where}: {r.status_code} {text(r)[:400]}"
        shown = leaks(w, text(r))
        if MARK_A in json.dumps(body or {}):  # B typed A's name: the answer may echo it
            shown = [s for s in shown if s != MARK_A]
        assert not shown, f"{where}: shows {shown}"
        if case.field:
            assert case.field in r.json(), f"{where}: the error does not name {case.field!r}"
        if case.error:
            assert case.error in text(r), f"{where}: the form does not say {case.error!r}"
        assert owned_rows(w.a) == before_a, f"{where}: A's rows changed"
        if case.refuse:
            assert row_counts() == before_counts, f"{where}: a row was created"
        else:
            break  # acting on B's own objects: once is the test (a repeat may differ)


@pytest.mark.parametrize("route", SHARED_ROUTES)
def test_shared_routes_are_read_only_and_hold_no_users_objects(route, world, db):
    w, api = world, is_api(route)
    url = fill(route, "BTCUSDT") if route_args(route) else "/" + route
    # The candle query where the route takes one (an API operation refuses unknown parameters).
    query = (
        {"symbol": "BTCUSDT", "interval": "1h", "limit": 5}
        if "candles" in route or "ohlcv" in route
        else {}
    )
    before_a = owned_rows(w.a)
    for name, client in b_clients(w, route):
        r = client.get(url, query)
        assert r.status_code == 200, f"{name} GET {url}: {r.status_code} {text(r)[:300]}"
        assert not leaks(w, text(r))
        for method in ("put", "patch", "delete"):
            r = send(client, method, url, api=api, body={"name": "hijacked"})
            assert r.status_code == 405, f"{name} {method.upper()} {url}: {r.status_code}"
    assert owned_rows(w.a) == before_a


def test_a_symbol_both_users_watch_predicts_with_each_users_own_agent(world, db):
    """The predict route is keyed by symbol: ETHUSDT names B's agent for B, A's for A."""
    w = world
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {w.b_token}")
    r = client.get("/api/agents/ETHUSDT/predict/")
    assert r.status_code == 200, r.json()
    assert r.json()["agent_id"] == w.obj["b_agent"].pk and MARK_A not in text(r)
    r = a_client(w, "api/").get("/api/agents/ETHUSDT/predict/")
    assert r.status_code == 200 and r.json()["agent_id"] == w.obj["eth_agent"].pk
