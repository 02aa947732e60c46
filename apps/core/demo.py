"""The demo data: a user, the shipped real candles, and (as the product grows) strategies,
a finished backtest, models, agents and a portfolio, so the first page is alive.

Every step is idempotent: running it again adds nothing and takes seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

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


@dataclass
class DemoReport:
    user_created: bool = False
    imports: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"demo user {'created' if self.user_created else 'exists'}", *self.imports]


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
            f"{record.rows_present} already present, {record.gap_count} gap(s)"
        )
    return report
