"""Desk backtest reads, scoped to the owner (another user's is None: a 404); a stale running
job is reaped when looked at. The audit and trades are read from the row's compressed
arrays, filtered and paged here, so no page or response holds all of them."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import QuerySet

from apps.core.jobs import JobStatus, job_reap_stale
from engine.desk import ACTIONS, FILL_TEXT, STATUS_TEXT, TAKEN
from engine.desk.report import audit_select
from engine.marketdata import interval_ms

from .models import DeskBacktest

BLOBS = ("audit_npz", "trades_npz")
AUDIT_PAGE_SIZE = 50
AUDIT_MAX_PAGE_SIZE = 500


def desk_backtest_list(*, owner, sweeps: bool | None = None) -> QuerySet[DeskBacktest]:
    qs = DeskBacktest.objects.filter(owner=owner).defer(*BLOBS, "curves")
    if sweeps is not None:
        qs = qs.filter(grid__isnull=not sweeps)
    return qs


def desk_backtest_get(*, owner, pk: int, arrays: bool = False) -> DeskBacktest | None:
    qs = DeskBacktest.objects.filter(owner=owner, pk=pk)
    job = (qs if arrays else qs.defer(*BLOBS)).first()
    if job is not None and job.status == JobStatus.RUNNING:
        job_reap_stale(DeskBacktest, pk=pk)
        job.refresh_from_db(fields=["status", "progress", "error", "finished_at", "heartbeat_at"])
    return job


def _arrays(blob) -> dict[str, np.ndarray]:
    if not blob:
        return {}
    with np.load(io.BytesIO(bytes(blob)), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _ms(value: int) -> str | None:
    if value < 0:
        return None
    return pd.Timestamp(int(value), unit="ms", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(value: float, digits: int = 8) -> float | None:
    return round(float(value), digits) if math.isfinite(value) else None


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    count: int
    page: int
    pages: int
    page_size: int


def desk_audit_page(
    job: DeskBacktest,
    *,
    taken: bool = False,
    agent_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    page_size: int = AUDIT_PAGE_SIZE,
) -> Page:
    """One page of the decision audit (decision time, then agent), filtered: only taken
    actions, one agent (its id), a range of decision times. A page past the end is empty."""
    audit = _arrays(job.audit_npz)
    pins = job.agents or []
    if not audit:
        return Page([], 0, 1, 1, page_size)
    index = {p["agent_id"]: k for k, p in enumerate(pins)}
    if agent_id is not None and agent_id not in index:
        return Page([], 0, 1, 1, page_size)
    rows = audit_select(
        audit,
        taken=taken,
        agent=None if agent_id is None else index[agent_id],
        start_ms=None if start is None else int(pd.Timestamp(start).value // 1_000_000),
        end_ms=None if end is None else int(pd.Timestamp(end).value // 1_000_000),
    )
    count = len(rows)
    pages = max(1, math.ceil(count / page_size))
    chosen = rows[(page - 1) * page_size : page * page_size]
    out = []
    for r in chosen:
        pin = pins[int(audit["agent"][r])]
        status = int(audit["status"][r])
        t = int(audit["time_ms"][r])
        out.append(
            {
                "decided_at": _ms(t),
                "candle_time": _ms(t - interval_ms(pin["interval"])),
                "agent_id": pin["agent_id"],
                "agent": pin["name"],
                "symbol": pin["symbol"],
                "action": ACTIONS[int(audit["action"][r])],
                "confidence": _num(audit["confidence"][r], 6),
                "win_rate": _num(audit["win_rate"][r], 6),
                "score": _num(audit["score"][r], 6),
                "rank": int(audit["rank"][r]) or None,
                "taken": status == TAKEN,
                "status": STATUS_TEXT[status],
                "fill": FILL_TEXT[int(audit["fill"][r])] if status == TAKEN else None,
                "trade": int(audit["trade"][r]) + 1 if audit["trade"][r] >= 0 else None,
            }
        )
    return Page(out, count, page, pages, page_size)


def desk_trades(job: DeskBacktest) -> list[dict[str, Any]]:
    """The desk's trades in entry order, numbered from 1 (the audit's ``trade``)."""
    tr = _arrays(job.trades_npz)
    pins = job.agents or []
    out = []
    for k in range(len(tr.get("agent", ()))):
        pin = pins[int(tr["agent"][k])]
        closed = tr["exit_filled_ms"][k] >= 0
        out.append(
            {
                "trade": k + 1,
                "agent_id": pin["agent_id"],
                "agent": pin["name"],
                "symbol": pin["symbol"],
                "entry_decided_at": _ms(tr["entry_decided_ms"][k]),
                "entry_filled_at": _ms(tr["entry_filled_ms"][k]),
                "entry_price": _num(tr["entry_price"][k]),
                "quantity": _num(tr["quantity"][k], 10),
                "entry_fee": _num(tr["entry_fee"][k]),
                "exit_decided_at": _ms(tr["exit_decided_ms"][k]),
                "exit_filled_at": _ms(tr["exit_filled_ms"][k]),
                "exit_price": _num(tr["exit_price"][k]) if closed else None,
                "exit_fee": _num(tr["exit_fee"][k]) if closed else None,
                "pnl": _num(tr["pnl"][k]) if closed else None,
                "open": not bool(closed),
            }
        )
    return out
