"""Desk backtest writes: create one (or a sweep over desk parameters) as a queued job, and
execute it.

``desk_backtest_create`` checks everything a worker would trip over and refuses with a
field-named error: the agents (yours, at least one), the window (end after start, candles
in it), the desk parameters (``engine.desk.DeskParams.validate``), the sweep's grid, and
that no agent's model was trained on candles the desk would trade (SPEC §7a, issue 14
item 7: the window must start after the model's training window). It pins each agent's
strategy version and model and enqueues the job on commit.

``desk_backtest_execute`` is the worker side (apps/core/jobs.py): load each agent's candles
from the series start (the warm-up) to the end, compute its action and confidence per bar
(``engine.desk.agent_series``, with the model's P(up) per bar), run
``engine.desk.run_desk_backtest`` and store the result in one fenced update (idempotent
on redelivery: the row's fields are simply written again).
"""

from __future__ import annotations

import io
import logging
import time
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

import engine
from apps.agents.models import Agent
from apps.core.jobs import JobContext, job_enqueue, job_execute
from apps.marketdata.models import Candle
from apps.marketdata.selectors import candles_frame
from apps.ml.models import TrainedModel
from apps.ml.services import model_load
from apps.motherai.deskparams import desk_model_problem
from engine.desk import DEFAULTS, DeskAgent, DeskConfigError, DeskParams, agent_series
from engine.desk import run_desk_backtest as desk_run
from engine.desk.report import sweep_params, sweep_row
from engine.ml import predict_proba_up_series
from engine.strategy import parse_strategy

from .models import DeskBacktest

logger = logging.getLogger(__name__)

PARAMS = tuple(DEFAULTS)


def _iso(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M UTC")


def _agents_clean(owner, agent_ids) -> list[Agent]:
    ids = list(dict.fromkeys(agent_ids or []))
    if not ids:
        raise ValidationError({"agents": ["choose at least one agent"]})
    found = {
        a.pk: a
        for a in Agent.objects.filter(owner=owner, pk__in=ids).select_related(
            "strategy", "strategy_version", "model"
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({"agents": [f"no such agent: {', '.join(map(str, missing))}"]})
    return [found[i] for i in sorted(ids)]


def _params_clean(params: dict[str, Any]) -> DeskParams:
    unknown = set(params) - set(PARAMS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: ["not a desk parameter"]})
    desk = DeskParams(**params)  # the dataclass defaults are DEFAULTS
    try:
        desk.validate()
    except DeskConfigError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    return desk


def _window_clean(agents: list[Agent], start: datetime, end: datetime) -> None:
    if start is None:
        raise ValidationError({"start": ["give the window's start"]})
    if end is None:
        raise ValidationError({"end": ["give the window's end"]})
    if end <= start:
        raise ValidationError({"end": ["must be after start"]})
    if not any(
        Candle.objects.filter(
            symbol__name=a.symbol, interval=a.interval, open_time__gte=start, open_time__lte=end
        ).exists()
        for a in agents
    ):
        raise ValidationError(
            {"start": [f"no candles of the agents between {_iso(start)} and {_iso(end)}"]}
        )


def _pin(agent: Agent) -> dict[str, Any]:
    version = agent.strategy_version
    return {
        "agent_id": agent.pk,
        "name": agent.name,
        "symbol": agent.symbol,
        "interval": agent.interval,
        "strategy_id": agent.strategy_id,
        "strategy_name": agent.strategy.name,
        "strategy_version": version.number,
        "strategy_definition": version.normalized,
        "model_id": agent.model_id,
        "model_sha256": agent.model.sha256 if agent.model_id else None,
    }


def desk_backtest_create(
    *,
    owner,
    agent_ids: list[int],
    start: datetime,
    end: datetime,
    name: str = "",
    grid: dict[str, list] | None = None,
    **params: Any,
) -> DeskBacktest:
    agents = _agents_clean(owner, agent_ids)
    desk = _params_clean(params)
    _window_clean(agents, start, end)
    for agent in agents:
        if (problem := desk_model_problem(agent, start)) is not None:
            raise ValidationError({"agents": [problem]})
    if grid is not None:
        try:
            combos = sweep_params(desk, grid)
        except DeskConfigError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        if len(combos) > settings.DESK_SWEEP_MAX_COMBINATIONS:
            raise ValidationError(
                {
                    "grid": [
                        f"{len(combos)} combinations; at most "
                        f"{settings.DESK_SWEEP_MAX_COMBINATIONS}"
                    ]
                }
            )
    with transaction.atomic():
        job = DeskBacktest.objects.create(
            owner=owner,
            name=name[:120],
            agents=[_pin(a) for a in agents],
            start=start,
            end=end,
            grid=grid,
            engine_version=engine.__version__,
            **desk.to_dict(),
        )
        job_enqueue(job)
    return job


def job_params(job: DeskBacktest) -> DeskParams:
    return DeskParams(**{name: getattr(job, name) for name in PARAMS})


# ---------------------------------------------------------------- the worker side


def pack(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _desk_agents(job: DeskBacktest, ctx: JobContext) -> list[DeskAgent]:
    out = []
    for k, pin in enumerate(job.agents):
        candles = candles_frame(symbol=pin["symbol"], interval=pin["interval"], end=job.end)
        if candles.empty:
            raise ValueError(f"no {pin['interval']} candles of {pin['symbol']} any more")
        probability_up = None
        if pin["model_id"]:
            model = TrainedModel.objects.filter(pk=pin["model_id"]).first()
            if model is None or model.sha256 != pin["model_sha256"]:
                raise ValueError(f"{pin['name']}: its model #{pin['model_id']} is gone")
            probability_up = predict_proba_up_series(model_load(model), candles)
        series = agent_series(
            parse_strategy(pin["strategy_definition"]),
            candles,
            interval=pin["interval"],
            probability_up=probability_up,
        )
        out.append(
            DeskAgent(
                agent_id=pin["agent_id"],
                name=pin["name"],
                symbol=pin["symbol"],
                interval=pin["interval"],
                candles=candles,
                action=series.action,
                confidence=series.confidence,
            )
        )
        ctx.progress(0.2 * (k + 1) / len(job.agents))
    return out


def _round(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 4) for v in values]


def desk_backtest_execute(pk: int) -> str:
    return job_execute(DeskBacktest, pk, _body)


def _body(job: DeskBacktest, ctx: JobContext) -> None:
    t0 = time.perf_counter()
    ctx.progress(0.0, force=True)
    agents = _desk_agents(job, ctx)
    if job.grid:
        _sweep(job, ctx, agents)
        return
    result = desk_run(
        agents,
        job_params(job),
        start=job.start,
        end=job.end,
        on_progress=lambda f: ctx.progress(0.2 + 0.75 * f),
        band_points=settings.BACKTEST_EQUITY_POINTS,
    )
    band = result.random_band or {
        "index": np.arange(len(result.times)),
        **dict.fromkeys(("mean", "p5", "p95"), np.full(len(result.times), np.nan)),
    }
    keep = band["index"]
    times = result.times.as_unit("ms").asi8
    curves = {
        "t": [int(t) for t in times[keep]],
        "desk": _round(result.desk.equity[keep]),
        "buy_and_hold": _round(result.buy_and_hold[keep]),
        "random_mean": _round(band["mean"]),
        "random_p5": _round(band["p5"]),
        "random_p95": _round(band["p95"]),
        "agents": [
            {"agent_id": a.agent_id, "name": a.name, "equity": _round(run.equity[keep])}
            for a, run in zip(result.agents, result.alone, strict=True)
        ],
    }
    timings = {**result.timings, "job_seconds": time.perf_counter() - t0}
    with transaction.atomic():
        if not ctx.finish(
            metrics=result.metrics,
            curves=curves,
            timings=timings,
            decision_times=len(times),
            audit_rows=len(result.desk.audit["time_ms"]),
            trade_rows=len(result.desk.trades["agent"]),
            audit_npz=pack(result.desk.audit),
            trades_npz=pack(result.desk.trades),
            engine_version=engine.__version__,
        ):
            logger.info("desk backtest %s was cancelled or taken over; discarded", job.pk)
            return
    logger.info(
        "desk backtest %s: %d decision times, %d trades in %.1f s",
        job.pk,
        len(times),
        len(result.desk.trades["agent"]),
        time.perf_counter() - t0,
    )


def _sweep(job: DeskBacktest, ctx: JobContext, agents: list[DeskAgent]) -> None:
    """Each combination runs the compiled desk on the agents' series computed once."""
    combos = sweep_params(job_params(job), job.grid)
    rows = []
    for k, params in enumerate(combos):
        result = desk_run(agents, params, start=job.start, end=job.end)
        rows.append({"combo": k, **sweep_row(params, result)})
        ctx.progress(0.2 + 0.8 * (k + 1) / len(combos))
    rows.sort(key=lambda r: -r["final_equity"])
    ctx.finish(sweep_results=rows, engine_version=engine.__version__)
