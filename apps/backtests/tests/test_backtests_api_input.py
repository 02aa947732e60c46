"""`?status=` on the runs list names a job status: an unknown one is a 400 (it was an empty
list), an empty one means all (found while documenting the parameter for the schema fuzz)."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_status_filter_is_a_400(user_client):
    r = user_client.get("/api/backtests/?status=bogus")
    assert r.status_code == 400 and list(r.json()) == ["status"]


@pytest.mark.parametrize("status", ["", "succeeded"])
def test_a_known_or_empty_status_filter_lists(user_client, status):
    r = user_client.get(f"/api/backtests/?status={status}")
    assert r.status_code == 200 and r.json()["results"] == []
