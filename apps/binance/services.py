"""Binance: connect a key (validated, refused if it can withdraw, stored encrypted),
fetch the latest klines, and sync history as a job that pages 1,000 candles at a time,
resumes from the last stored candle and honours Retry-After on 429/418."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.jobs import JobContext, job_enqueue, job_execute
from apps.core.validators import window_clean
from apps.marketdata.models import Candle, CandleImport
from apps.marketdata.services import (
    candles_store,
    interval_clean,
    symbol_get_or_create,
    symbol_name_clean,
)
from engine.marketdata import interval_ms

from . import client, crypto
from .models import BinanceCredential, KlineSync, SyncSchedule

# A schedule runs at most weekly and at least every minute (the API and page say the same).
SCHEDULE_MAX_MINUTES = 7 * 24 * 60
IMPORT_PERMISSION = "marketdata.import_candles"
IMPORT_REFUSED = (
    "You need the 'import candles' permission to store candles from Binance "
    "(the candles are shared by every user)."
)


def can_store_candles(user) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(IMPORT_PERMISSION))


def _require_import_permission(user) -> None:
    """Candles are shared market data: writing them takes the same permission as an import."""
    if not can_store_candles(user):
        raise PermissionDenied(IMPORT_REFUSED)


logger = logging.getLogger(__name__)
MAX_RETRIES = 5
PAGE = 1000
sleep: Callable[[float], None] = time.sleep  # tests replace it to stay fast


def credential_connect(*, owner, api_key: str, secret: str) -> BinanceCredential:
    api_key, secret = (api_key or "").strip(), (secret or "").strip()
    errors = {}
    if not 16 <= len(api_key) <= 128 or not api_key.isalnum():
        errors["apiKey"] = ["must be the 16-128 letters and digits of a Binance API key"]
    if not 16 <= len(secret) <= 128 or not secret.isalnum():
        errors["secretKey"] = ["must be the 16-128 letters and digits of a Binance secret key"]
    if errors:
        raise ValidationError(errors)
    try:
        permissions = client.validate_keys(api_key, secret)
    except client.BinanceAuthError as exc:
        raise ValidationError({"apiKey": [str(exc)]}) from None
    except client.BinanceError as exc:
        raise ValidationError({"non_field_errors": [str(exc)]}) from None
    if permissions["enableWithdrawals"] or permissions["canWithdraw"]:
        raise ValidationError(
            {
                "apiKey": [
                    "this key allows withdrawals; create a key without withdrawal permission (reading is enough)"
                ]
            }
        )
    with transaction.atomic():
        BinanceCredential.objects.filter(owner=owner).delete()
        cred = BinanceCredential.objects.create(
            owner=owner,
            api_key_encrypted=crypto.encrypt(api_key),
            secret_encrypted=crypto.encrypt(secret),
            key_hint=crypto.mask(api_key),
            permissions=permissions,
            validated_at=timezone.now(),
        )
    logger.info("Binance key %s connected for user %s", cred.key_hint, owner.pk)
    return cred


def credential_disconnect(*, owner) -> bool:
    deleted, _ = BinanceCredential.objects.filter(owner=owner).delete()
    return bool(deleted)


def credentials_rotate(*, new_key: str) -> int:
    n = 0
    with transaction.atomic():
        for cred in BinanceCredential.objects.select_for_update():
            cred.api_key_encrypted = crypto.rotate(cred.api_key_encrypted, new_key)
            cred.secret_encrypted = crypto.rotate(cred.secret_encrypted, new_key)
            cred.save(update_fields=["api_key_encrypted", "secret_encrypted"])
            n += 1
    return n


def _store(symbol: str, interval: str, frame: pd.DataFrame, user=None) -> tuple[int, int]:
    if frame.empty:
        return 0, 0
    with transaction.atomic():
        sym = symbol_get_or_create(name=symbol, exchange="binance")
        counts = candles_store(symbol=sym, interval=interval, frame=frame)
        CandleImport.objects.create(
            user=user if getattr(user, "is_authenticated", False) else None,
            symbol=sym,
            symbol_name=symbol,
            interval=interval,
            source=CandleImport.Source.BINANCE,
            filename="binance api",
            status=CandleImport.Status.SUCCEEDED,
            rows_total=len(frame),
            rows_inserted=counts.inserted,
            rows_present=counts.present,
            first_time=frame.index[0].to_pydatetime(),
            last_time=frame.index[-1].to_pydatetime(),
        )
    return counts.inserted, counts.present


def _with_backoff(fn, waits: list[float]):
    for attempt in range(MAX_RETRIES + 1):
        try:
            return fn()
        except client.BinanceRateLimited as exc:
            if exc.banned and attempt >= 1 or attempt == MAX_RETRIES:
                raise
            wait = min(exc.retry_after, 300.0)
            waits.append(wait)
            logger.warning("Binance rate limit: waiting %.1f s", wait)
            sleep(wait)
    raise AssertionError("unreachable")


def ohlcv_fetch(
    *, symbol: str, interval: str, limit: int = 100, user=None, store: bool = False
) -> pd.DataFrame:
    """The latest klines from the exchange; with ``store`` the closed ones are also written
    to the shared candles, which needs the import permission (PermissionDenied otherwise)."""
    symbol = symbol_name_clean(symbol)
    if store:
        _require_import_permission(user)
    frame = _with_backoff(lambda: client.fetch_klines(symbol, interval, limit=limit), [])
    if store:
        # The newest kline is still open on a live exchange: store closed candles only.
        now_ms = int(time.time() * 1000)
        closed = frame[(frame.index.as_unit("ms").asi8 + interval_ms(interval)) <= now_ms]
        _store(symbol, interval, closed, user)
    return frame


def kline_sync_start(
    *, owner, symbol: str, interval: str, start: datetime, end: datetime | None = None
) -> KlineSync:
    _require_import_permission(owner)
    symbol = symbol_name_clean(symbol)
    interval = interval_clean(interval)
    if interval is None:
        raise ValidationError({"interval": ["required"]})
    window_clean(start, end, empty_ok=False)
    with transaction.atomic():
        job = KlineSync.objects.create(
            owner=owner, symbol=symbol, interval=interval, start=start, end=end
        )
        job_enqueue(job)
    return job


def kline_sync_execute(pk: int) -> str:
    return job_execute(KlineSync, pk, _sync_body)


def _sync_body(job: KlineSync, ctx: JobContext) -> None:
    step = interval_ms(job.interval)
    start_ms = int(job.start.timestamp() * 1000)
    end_ms = int((job.end or timezone.now()).timestamp() * 1000)
    last = (
        Candle.objects.filter(
            symbol__name=job.symbol, interval=job.interval, open_time__gte=job.start
        )
        .order_by("-open_time")
        .values_list("open_time", flat=True)
        .first()
    )
    cursor = max(start_ms, int(last.timestamp() * 1000) + step) if last else start_ms  # resume
    waits: list[float] = []
    inserted = present = pages = 0
    while cursor <= end_ms:
        frame = _with_backoff(
            lambda c=cursor: client.fetch_klines(
                job.symbol, job.interval, start_ms=c, end_ms=end_ms, limit=PAGE
            ),
            waits,
        )
        if frame.empty:
            break
        now_ms = int(time.time() * 1000)
        frame = frame[(frame.index.as_unit("ms").asi8 + step) <= now_ms]
        a, b = _store(job.symbol, job.interval, frame, job.owner)
        inserted, present, pages = inserted + a, present + b, pages + 1
        last_ms = int(frame.index[-1].value // 10**6) if len(frame) else cursor
        KlineSync.objects.filter(pk=job.pk).update(
            pages=pages,
            candles_inserted=inserted,
            candles_present=present,
            waits=waits,
            last_open_time=pd.Timestamp(last_ms, unit="ms", tz="UTC").to_pydatetime(),
        )
        ctx.progress((last_ms - start_ms) / max(end_ms - start_ms, 1))
        if len(frame) < PAGE:
            break
        cursor = last_ms + step
    ctx.finish(pages=pages, candles_inserted=inserted, candles_present=present, waits=waits)


def schedule_save(
    *,
    owner,
    symbol: str,
    interval: str,
    start: datetime,
    every_minutes: int = 60,
    enabled: bool = True,
) -> SyncSchedule:
    """Create or update the owner's schedule for one market (one per symbol and interval)."""
    _require_import_permission(owner)
    symbol = symbol_name_clean(symbol)
    interval = interval_clean(interval)
    if interval is None:
        raise ValidationError({"interval": ["required"]})
    if not 1 <= every_minutes <= SCHEDULE_MAX_MINUTES:
        raise ValidationError(
            {"every_minutes": [f"must be between 1 and {SCHEDULE_MAX_MINUTES} (a week)"]}
        )
    schedule, _ = SyncSchedule.objects.update_or_create(
        owner=owner,
        symbol=symbol,
        interval=interval,
        defaults={"start": start, "every_minutes": every_minutes, "enabled": enabled},
    )
    return schedule


def schedule_update(
    *,
    schedule: SyncSchedule,
    start: datetime | None = None,
    every_minutes: int | None = None,
    enabled: bool | None = None,
) -> SyncSchedule:
    """Change some of a schedule's settings (the others stay as they are)."""
    return schedule_save(
        owner=schedule.owner,
        symbol=schedule.symbol,
        interval=schedule.interval,
        start=schedule.start if start is None else start,
        every_minutes=schedule.every_minutes if every_minutes is None else every_minutes,
        enabled=schedule.enabled if enabled is None else enabled,
    )


def schedule_run(*, schedule_id: int) -> KlineSync | None:
    """Start the sync of one schedule that beat claimed (apps/core/schedules.py), unless its
    previous sync is still queued or running or the schedule was turned off since."""
    schedule = (
        SyncSchedule.objects.select_related("owner", "last_sync")
        .filter(pk=schedule_id, enabled=True)
        .first()
    )
    if schedule is None:
        return None
    if schedule.last_sync is not None and schedule.last_sync.is_active:
        return None
    if not can_store_candles(schedule.owner):
        # The owner lost the permission (or the account) since saving it: skip, don't fail.
        logger.warning("schedule %s skipped: its owner may not store candles", schedule.pk)
        return None
    job = kline_sync_start(
        owner=schedule.owner,
        symbol=schedule.symbol,
        interval=schedule.interval,
        start=schedule.start,
    )
    SyncSchedule.objects.filter(pk=schedule.pk).update(last_sync=job)
    return job
