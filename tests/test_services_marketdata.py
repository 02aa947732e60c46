"""Market data on PostgreSQL: what only the real database shows."""

import time

import pytest
from django.db import connection
from django.utils import timezone

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _last_analyze():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'marketdata_candle'"
        )
        return cursor.fetchone()[0]


def test_a_large_import_refreshes_the_planner_statistics(btc_1h_path):
    from apps.marketdata.services import candles_import

    before = timezone.now()
    record = candles_import(source=btc_1h_path, symbol="BTCUSDT", interval="1h")
    assert record.status == "succeeded" and record.rows_inserted == 7477
    deadline = time.monotonic() + 5
    while not ((last := _last_analyze()) and last >= before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert last is not None and last >= before, last
    # The planner now knows the series is large and reads it in index order, without a sort.
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT open_time FROM marketdata_candle WHERE symbol_id = %s "
            "AND \"interval\" = '1h' ORDER BY open_time",
            [record.symbol_id],
        )
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "Sort" not in plan, plan
