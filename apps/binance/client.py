"""The only module that imports python-binance. Everything else talks to Binance through
these functions and our own exceptions, which never carry a secret."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException, BinanceRequestException
from django.conf import settings

logger = logging.getLogger(__name__)


class BinanceError(Exception):
    """A Binance call failed; the message is safe to show."""


class BinanceUnreachable(BinanceError):
    pass


class BinanceUnknownSymbol(BinanceError):
    pass


class BinanceAuthError(BinanceError):
    pass


class BinanceRateLimited(BinanceError):
    def __init__(self, message: str, retry_after: float, banned: bool):
        super().__init__(message)
        self.retry_after = retry_after
        self.banned = banned


def make_client(api_key: str | None = None, api_secret: str | None = None) -> Client:
    # ping=False: constructing the client must not call the exchange.
    client = Client(
        api_key, api_secret, requests_params={"timeout": settings.BINANCE_TIMEOUT}, ping=False
    )
    base = settings.BINANCE_BASE_URL.rstrip("/")
    client.API_URL = base + "/api"
    client.MARGIN_API_URL = base + "/sapi"
    return client


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except BinanceAPIException as exc:
        status = exc.status_code
        if status in (418, 429):
            retry = 60.0
            try:
                retry = float(exc.response.headers.get("Retry-After", retry))
            except (AttributeError, TypeError, ValueError):
                pass
            raise BinanceRateLimited(
                f"Binance answered {status} ({'IP banned' if status == 418 else 'rate limited'}); retry after {retry:g} s",
                retry,
                status == 418,
            ) from None
        if exc.code == -1121:
            raise BinanceUnknownSymbol("Binance does not know this symbol") from None
        if exc.code in (-2014, -2015, -1022, -2008):
            raise BinanceAuthError(f"Binance refused the key: {exc.message}") from None
        raise BinanceError(f"Binance error {exc.code}: {exc.message}") from None
    except (requests.ConnectionError, requests.Timeout, BinanceRequestException) as exc:
        raise BinanceUnreachable(f"Binance is unreachable: {type(exc).__name__}") from None


def validate_keys(api_key: str, api_secret: str) -> dict[str, Any]:
    """A signed account call and the key's restrictions; the permissions we keep (no secrets)."""
    client = make_client(api_key, api_secret)
    account = _call(client.get_account)
    restrictions = _call(client.get_account_api_permissions)
    return {
        "canTrade": bool(account.get("canTrade")),
        "canWithdraw": bool(account.get("canWithdraw")),
        "enableWithdrawals": bool(restrictions.get("enableWithdrawals")),
        "enableReading": bool(restrictions.get("enableReading", True)),
        "enableSpotAndMarginTrading": bool(restrictions.get("enableSpotAndMarginTrading")),
    }


def fetch_klines(
    symbol: str,
    interval: str,
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """Klines as the product's candle frame (ms or µs open times accepted)."""
    client = make_client()
    params: dict[str, Any] = {"symbol": symbol, "interval": interval, "limit": limit}
    if start_ms is not None:
        params["startTime"] = int(start_ms)
    if end_ms is not None:
        params["endTime"] = int(end_ms)
    rows = _call(client.get_klines, **params)
    if not rows:
        index = pd.DatetimeIndex([], tz="UTC", name="open_time")
        return pd.DataFrame(
            {c: np.array([], dtype="float64") for c in ("open", "high", "low", "close", "volume")},
            index=index,
        )
    arr = np.array([[r[0], r[1], r[2], r[3], r[4], r[5]] for r in rows], dtype="float64")
    t = arr[:, 0].astype("int64")
    t = np.where(t >= 10**15, t // 1000, t)  # µs -> ms
    index = pd.DatetimeIndex(pd.to_datetime(t, unit="ms", utc=True), name="open_time")
    return pd.DataFrame(
        {c: arr[:, i + 1] for i, c in enumerate(("open", "high", "low", "close", "volume"))},
        index=index,
    )
