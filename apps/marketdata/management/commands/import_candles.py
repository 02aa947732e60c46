import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.marketdata.models import CandleImport
from apps.marketdata.services import candles_import, import_report
from engine.marketdata import INTERVALS


class Command(BaseCommand):
    help = "Import a candle file (Binance kline CSV, OHLCV CSV with a header, .gz or .zip) for a symbol."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--symbol", required=True, help="e.g. BTCUSDT")
        parser.add_argument("--interval", choices=INTERVALS, help="default: detected from the file")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, path, symbol, interval=None, **options):
        try:
            record = candles_import(
                source=path, symbol=symbol, interval=interval, source_kind=CandleImport.Source.FILE
            )
        except FileNotFoundError:
            raise CommandError(f"no such file: {path}") from None
        except IsADirectoryError:
            raise CommandError(f"{path} is a directory, not a file") from None
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        report = import_report(record)
        if options.get("json"):
            self.stdout.write(_json_dumps(report))
        else:
            self.stdout.write(_text(report))
        if record.status != CandleImport.Status.SUCCEEDED:
            raise CommandError(f"rejected: {record.error}")


def _json_dumps(report: dict) -> str:
    return json.dumps(report, indent=2)


def _text(r: dict) -> str:
    lines = [
        f"{r['filename']} -> {r['symbol']} {r['interval'] or '?'}: {r['status']}",
        f"  rows: {r['rows_total']} read, {r['rows_inserted']} inserted, {r['rows_present']} already present"
        + (
            f" ({r['rows_conflicting']} with different values kept as stored)"
            if r["rows_conflicting"]
            else ""
        )
        + f", {r['rows_rejected']} rejected, {r['rows_duplicate_in_file']} duplicate in file",
    ]
    if r["first_time"]:
        lines.append(
            f"  range: {r['first_time']} .. {r['last_time']} (timestamps: {', '.join(r['timestamp_units'])})"
        )
    lines.append(f"  gaps: {r['gap_count']}")
    for g in r["gaps"][:10]:
        lines.append(f"    {g['start']} .. {g['end']} ({g['missing']} missing)")
    for rej in r["rejections"][:10]:
        lines.append(f"  line {rej['line']}: {rej['reason']}")
    lines.append(f"  took {r['duration_ms']} ms")
    return "\n".join(lines)
