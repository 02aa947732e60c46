"""Binance API input the schema fuzz found misread: a schedule's `enabled` is a JSON
boolean (`0` was read as false) and its symbol follows the symbol rule before anything
is stored. No exchange call is involved."""

import pytest

from apps.binance.models import SyncSchedule

pytestmark = pytest.mark.django_db

SCHEDULE = {"symbol": "BTCUSDT", "interval": "1h", "start": "2021-05-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"enabled": 0}, "enabled"),
        ({"every_minutes": "60"}, "every_minutes"),
        ({"symbol": "0"}, "symbol"),
    ],
)
def test_a_schedule_with_a_wrong_type_or_symbol_is_a_400(user_client, extra, field):
    r = user_client.post("/api/binance/schedules/", {**SCHEDULE, **extra}, format="json")
    assert r.status_code == 400 and list(r.json()) == [field]
    assert not SyncSchedule.objects.exists()


def test_a_schedule_with_json_types_is_saved(user_client):
    r = user_client.post("/api/binance/schedules/", {**SCHEDULE, "enabled": False}, format="json")
    assert r.status_code == 201 and r.json()["enabled"] is False
