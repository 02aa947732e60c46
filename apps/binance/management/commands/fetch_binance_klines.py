import pandas as pd
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.binance.models import KlineSync
from apps.binance.services import kline_sync_execute
from apps.core.jobs import JobStatus
from engine.marketdata import INTERVALS


class Command(BaseCommand):
    help = "Sync Binance klines into the market data: fetch_binance_klines BTCUSDT 1h --start 2024-01-01 [--end ...]"

    def add_arguments(self, parser):
        parser.add_argument("symbol")
        parser.add_argument("interval", choices=INTERVALS)
        parser.add_argument("--start", required=True)
        parser.add_argument("--end")
        parser.add_argument(
            "--user", help="who the sync is recorded for (default: the first superuser)"
        )

    def handle(self, *args, symbol, interval, start, end=None, user=None, **options):
        try:
            start_ts = (
                pd.Timestamp(start, tz="UTC")
                if pd.Timestamp(start).tzinfo is None
                else pd.Timestamp(start)
            )
            end_ts = (
                (
                    pd.Timestamp(end, tz="UTC")
                    if pd.Timestamp(end).tzinfo is None
                    else pd.Timestamp(end)
                )
                if end
                else None
            )
        except ValueError as exc:
            raise CommandError(f"bad date: {exc}") from None
        User = get_user_model()
        owner = (
            User.objects.filter(username=user).first()
            if user
            else User.objects.filter(is_superuser=True).first() or User.objects.first()
        )
        if owner is None:
            raise CommandError("no user to record the sync for; create one first")
        if end_ts is not None and end_ts <= start_ts:
            raise CommandError("--end is before --start")
        try:
            from apps.marketdata.services import symbol_name_clean

            job = KlineSync.objects.create(
                owner=owner,
                symbol=symbol_name_clean(symbol),
                interval=interval,
                start=start_ts.to_pydatetime(),
                end=end_ts.to_pydatetime() if end_ts is not None else None,
            )
        except ValidationError as exc:
            raise CommandError(str(exc)) from None
        kline_sync_execute(job.pk)
        job.refresh_from_db()
        self.stdout.write(
            f"{job.symbol} {job.interval}: {job.status}, {job.pages} page(s), {job.candles_inserted} inserted, {job.candles_present} already present"
        )
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(job.error)
