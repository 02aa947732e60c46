"""`?status=` on the runs list names a job status: an unknown one is a 400 (it was an empty
list), an empty one means all (found while documenting the parameter for the schema fuzz);
a backwards window is refused on ``end`` by the rule every window shares."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_status_filter_is_a_400(user_client):
    r = user_client.get("/api/backtests/?status=bogus")
    assert r.status_code == 400 and list(r.json()) == ["status"]


@pytest.mark.parametrize("status", ["", "succeeded"])
def test_a_known_or_empty_status_filter_lists(user_client, status):
    r = user_client.get(f"/api/backtests/?status={status}")
    assert r.status_code == 200 and r.json()["results"] == []


def test_a_backwards_window_is_a_400_on_end_from_the_shared_rule(user_client):
    r = user_client.post(
        "/api/backtests/",
        {
            "strategy_json": {"symbol": "BTCUSDT", "indicators": {"rsi": {"period": 14}}},
            "start": "2021-02-01T00:00:00Z",
            "end": "2021-01-01T00:00:00Z",
        },
        format="json",
    )
    assert r.status_code == 400 and r.json() == {"end": ["end is before start"]}
