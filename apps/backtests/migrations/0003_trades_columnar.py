"""A run's trades move from one BacktestTrade row per trade to one columnar blob per run
(BacktestTradeTable, apps/backtests/tradestore.py). Existing rows are packed, every field
exactly; going back unpacks them into rows again."""

import django.db.models.deletion
from django.db import migrations, models

from apps.backtests.tradestore import (
    FLOATS,
    StoredTrade,
    TradeTable,
    columns_from_rows,
    from_us,
    pack,
    unpack,
)

ROW_FIELDS = ("seq", "side", "entry_time", "exit_time", *FLOATS, "bars_held", "exit_reason")


def _no_compression(apps, schema_editor):
    # Float bits do not compress: pglz on a 5 MB blob cost ~270 ms for nothing.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE backtests_backtesttradetable ALTER COLUMN data SET STORAGE EXTERNAL"
        )


def pack_rows(apps, schema_editor):
    Trade = apps.get_model("backtests", "BacktestTrade")
    Table = apps.get_model("backtests", "BacktestTradeTable")
    run_ids = Trade.objects.values_list("run_id", flat=True).distinct().order_by("run_id")
    for run_id in run_ids.iterator():
        rows = list(Trade.objects.filter(run_id=run_id).order_by("seq").values(*ROW_FIELDS))
        columns = columns_from_rows(rows)
        Table.objects.create(
            run_id=run_id,
            count=len(rows),
            last_exit=from_us(columns["exit_time"][-1]),
            data=pack(columns),
        )


def unpack_rows(apps, schema_editor):
    Trade = apps.get_model("backtests", "BacktestTrade")
    Table = apps.get_model("backtests", "BacktestTradeTable")
    for table in Table.objects.iterator(chunk_size=20):
        trades: list[StoredTrade] = TradeTable(table.run, unpack(table.data))[:]
        Trade.objects.bulk_create(
            [Trade(run_id=table.run_id, **t.as_row()) for t in trades], batch_size=2000
        )


class Migration(migrations.Migration):
    dependencies = [
        ("backtests", "0002_remove_backtestrun_sweep"),
    ]

    operations = [
        migrations.CreateModel(
            name="BacktestTradeTable",
            fields=[
                (
                    "run",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="trade_table",
                        serialize=False,
                        to="backtests.backtestrun",
                    ),
                ),
                ("count", models.PositiveIntegerField(default=0)),
                ("last_exit", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("data", models.BinaryField()),
            ],
        ),
        migrations.RunPython(_no_compression, migrations.RunPython.noop),
        migrations.RunPython(pack_rows, unpack_rows),
        migrations.DeleteModel(
            name="BacktestTrade",
        ),
    ]
