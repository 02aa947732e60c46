"""The demo data: a user, the shipped real candles, and (as the product grows) strategies,
a finished backtest, models, agents and a portfolio, so the first page is alive.

Every step is idempotent: running it again adds nothing and takes seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from apps.core.jobs import JobStatus, jobs_inline
from apps.marketdata.models import CandleImport
from apps.marketdata.services import candles_import

logger = logging.getLogger(__name__)

DEMO_DIR = Path(settings.BASE_DIR) / "data" / "demo"

# (file, symbol, interval, exchange, asset class) in load order: the corrected long
# BTCUSDT file first, so its values win where the two BTCUSDT files overlap.
DEMO_FILES: list[tuple[str, str, str, str, str]] = [
    ("BTCUSDT-1h-2020-10_2025-10.csv.gz", "BTCUSDT", "1h", "binance", "crypto"),
    ("BTCUSDT-1h-2020-08_2021-06.csv", "BTCUSDT", "1h", "binance", "crypto"),
    ("ETHUSDT-1h-2020-08_2021-06.csv", "ETHUSDT", "1h", "binance", "crypto"),
    ("BTCUSDT-PERP-5m-2023-01_2023-02.csv", "BTCUSDT-PERP", "5m", "binance-futures", "crypto"),
    ("ETHBTC-1m-2018-01.csv", "ETHBTC", "1m", "bittrex", "crypto"),
    ("GOOG-1d-2004-08_2013-03.csv", "GOOG", "1d", "nasdaq", "stock"),
]


# One small model per shipped crypto series: (symbol, interval, most recent candles used).
DEMO_MODELS: list[tuple[str, str, int]] = [
    ("BTCUSDT", "1h", 8000),
    ("ETHUSDT", "1h", 7477),
    ("BTCUSDT-PERP", "5m", 8000),
    ("ETHBTC", "1m", 8000),
]


DEMO_STRATEGIES: list[dict] = [
    {
        "name": "BTC RSI + EMA crossover",
        "definition": {
            "symbol": "BTCUSDT",
            "timeframe": "1h",
            "indicators": {
                "rsi": {"period": 14, "buy_below": 30, "sell_above": 70},
                "ema": {"period": 20, "buy_crosses_above": True, "sell_crosses_below": True},
            },
            "combine": "any",
        },
        "notes": "The original system's example strategy (indicator thresholds).",
    },
    {
        "name": "RSI dip in uptrend",
        "definition": {
            "strategy_name": "RSI dip in uptrend",
            "symbol": "BTCUSDT",
            "timeframe": "1h",
            "entry_conditions": [
                {"indicator": "rsi", "params": {"period": 14}, "condition": "< 35"},
                {"indicator": "close", "condition": "> ema(50)", "timeframe": "4h"},
            ],
            "exit_conditions": [{"indicator": "rsi", "condition": "> 65"}],
            "entry_logic": "all",
            "exit_logic": "any",
            "risk": {"stop_loss_pct": 3.0, "take_profit_pct": 6.0, "position_size_pct": 100},
        },
        "notes": "Buy oversold dips only while the 4h trend is up; stop 3%, target 6%.",
    },
    {
        "name": "ETH MACD momentum",
        "definition": {
            "strategy_name": "ETH MACD momentum",
            "symbol": "ETHUSDT",
            "timeframe": "1h",
            "entry_conditions": [
                {"indicator": "macd", "condition": "crosses_above macd.signal"},
                {"indicator": "close", "condition": "> sma(100)"},
            ],
            "exit_conditions": [
                {"indicator": "macd", "condition": "crosses_below macd.signal"},
                {"indicator": "close", "condition": "< bollinger(20,2).lower"},
            ],
            "entry_logic": "all",
            "exit_logic": "any",
            "risk": {"stop_loss_pct": 4.0},
        },
        "notes": "MACD crossovers above the 100-hour average.",
    },
]


@dataclass
class DemoReport:
    user_created: bool = False
    imports: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"demo user {'created' if self.user_created else 'exists'}",
            *self.imports,
            *self.models,
            *self.strategies,
        ]


def demo_user_ensure() -> tuple[object, bool]:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=settings.DEMO_USERNAME, defaults={"email": "demo@example.com"}
    )
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
    perm = Permission.objects.get(content_type__app_label="marketdata", codename="import_candles")
    user.user_permissions.add(perm)
    return user, created


def demo_load(*, files: list[tuple[str, str, str, str, str]] | None = None) -> DemoReport:
    report = DemoReport()
    with transaction.atomic():
        user, report.user_created = demo_user_ensure()
    for filename, symbol, interval, exchange, asset_class in files or DEMO_FILES:
        path = DEMO_DIR / filename
        already = CandleImport.objects.filter(
            symbol_name=symbol, filename=filename, status=CandleImport.Status.SUCCEEDED
        ).exists()
        if already:
            report.imports.append(f"{symbol} {interval} {filename}: already loaded")
            continue
        record = candles_import(
            source=path,
            symbol=symbol,
            interval=interval,
            user=user,
            filename=filename,
            source_kind=CandleImport.Source.DEMO,
            exchange=exchange,
            asset_class=asset_class,
        )
        if record.status != CandleImport.Status.SUCCEEDED:
            raise RuntimeError(f"demo file {filename} was rejected: {record.error}")
        report.imports.append(
            f"{symbol} {interval} {filename}: {record.rows_inserted} inserted, "
            f"{record.rows_present} already present"
            + (
                f" ({record.rows_conflicting} with different values, kept as stored)"
                if record.rows_conflicting
                else ""
            )
            + f", {record.gap_count} gap(s)"
        )
    demo_models_train(user=user, report=report)
    demo_strategies_and_backtest(user=user, report=report)
    demo_agents_and_decision(user=user, report=report)
    demo_replay(user=user, report=report)
    return report


def demo_replay(*, user, report: DemoReport) -> None:
    """A running replay session, so the dashboard shows a desk that is alive."""
    from apps.replay.services import replay_demo_start

    session = replay_demo_start(user)
    report.strategies.append(
        f"replay #{session.pk}: {session.start:%Y-%m-%d %H:%M} -> {session.end:%Y-%m-%d %H:%M}, "
        f"{session.status}"
        if session
        else "replay: no agent has candles after its model's training"
    )


def demo_agents_and_decision(*, user, report: DemoReport) -> None:
    """BTCUSDT and ETHUSDT agents (the original BTCUSDTAgent/ETHUSDTAgent) with the demo
    models attached, a paper portfolio and one stored Mother AI decision."""
    from apps.agents.models import Agent
    from apps.agents.services import agent_create
    from apps.ml.models import TrainedModel
    from apps.motherai.models import Decision
    from apps.motherai.services import decision_make
    from apps.portfolio.services import portfolio_get_or_create_default
    from apps.strategies.models import Strategy

    for symbol, strategy_name in (
        ("BTCUSDT", "RSI dip in uptrend"),
        ("ETHUSDT", "ETH MACD momentum"),
    ):
        if Agent.objects.filter(owner=user, symbol=symbol).exists():
            continue
        model = TrainedModel.objects.filter(
            owner=user, symbol=symbol, interval="1h", status=JobStatus.SUCCEEDED
        ).first()
        agent_create(
            owner=user,
            symbol=symbol,
            strategy=Strategy.objects.get(owner=user, name=strategy_name),
            model=model,
            name=f"{symbol}Agent",
        )
    portfolio_get_or_create_default(owner=user)
    if not Decision.objects.filter(owner=user).exists():
        d = decision_make(owner=user, trigger="demo")
        report.strategies.append(
            f"Mother AI decision #{d.pk}: {d.chosen} of {len(d.candidates)} signal(s) chosen"
        )
    report.strategies.append(
        "agents: " + ", ".join(Agent.objects.filter(owner=user).values_list("name", flat=True))
    )


def demo_strategies_and_backtest(*, user, report: DemoReport) -> None:
    """The example strategies, and one finished backtest to open."""
    from apps.backtests.models import BacktestRun
    from apps.backtests.services import backtest_create
    from apps.strategies.models import Strategy
    from apps.strategies.services import strategy_create
    from engine.backtest import BacktestConfig

    created = {}
    for item in DEMO_STRATEGIES:
        existing = Strategy.objects.filter(owner=user, name=item["name"]).first()
        created[item["name"]] = existing or strategy_create(
            owner=user, definition=item["definition"], name=item["name"], notes=item["notes"]
        )
    report.strategies.append(f"strategies: {', '.join(created)}")
    if BacktestRun.objects.filter(owner=user, status=JobStatus.SUCCEEDED).exists():
        report.strategies.append("backtest: already run")
        return
    with jobs_inline():
        run = backtest_create(
            owner=user,
            strategy=created["RSI dip in uptrend"].pk,
            start=datetime(2024, 1, 1, tzinfo=UTC),
            config=BacktestConfig(slippage_bps=2.0),
        )
    run.refresh_from_db()
    if run.status != JobStatus.SUCCEEDED:
        raise RuntimeError(f"the demo backtest failed: {run.error}")
    m = run.metrics
    report.strategies.append(
        f"backtest #{run.pk}: {m['num_trades']} trades, return {m['total_return_pct']}% vs buy & hold {m['buy_and_hold_return_pct']}%"
    )


def demo_models_train(*, user, report: DemoReport) -> None:
    """Train the demo models in-process (the command waits for them)."""
    from apps.marketdata.models import Candle
    from apps.ml.models import TrainedModel
    from apps.ml.services import model_train_start

    with jobs_inline():
        for symbol, interval, last_n in DEMO_MODELS:
            done = TrainedModel.objects.filter(
                owner=user, symbol=symbol, interval=interval, status=JobStatus.SUCCEEDED
            )
            if done.exists():
                report.models.append(f"model {symbol} {interval}: already trained")
                continue
            times = Candle.objects.filter(symbol__name=symbol, interval=interval).order_by(
                "-open_time"
            )
            start = times.values_list("open_time", flat=True)[last_n - 1 : last_n].first()
            job = model_train_start(
                owner=user,
                symbol=symbol,
                interval=interval,
                start=start,
                params={"n_estimators": 60, "min_samples_leaf": 5},
                name=f"{symbol} {interval} demo forest",
            )
            job.refresh_from_db()
            if job.status != JobStatus.SUCCEEDED:
                raise RuntimeError(f"demo model {symbol} {interval} failed: {job.error}")
            report.models.append(
                f"model {symbol} {interval}: held-out accuracy {job.metrics['accuracy']:.4f} "
                f"vs baseline {job.baseline_accuracy:.4f}"
            )
