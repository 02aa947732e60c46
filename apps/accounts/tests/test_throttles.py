"""Password guessing: the token endpoint is rate-limited per address, and failures for one
account from one address lock that pair out of both doors (the page and the token
endpoint), so a guesser gains nothing by switching between them and nobody else is locked."""

import pytest
from django.core.cache import cache

from apps.accounts.throttles import LoginRateThrottle

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token/"
GOOD = {"username": "alice", "password": "alice-pass-123"}
BAD = {"username": "alice", "password": "guess"}


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_token_endpoint_is_rate_limited_per_address(api_client, user, monkeypatch):
    monkeypatch.setattr(LoginRateThrottle, "rate", "3/min", raising=False)
    assert api_client.post(TOKEN_URL, GOOD).status_code == 200
    assert api_client.post(TOKEN_URL, BAD).status_code == 400
    assert api_client.post(TOKEN_URL, BAD).status_code == 400
    r = api_client.post(TOKEN_URL, GOOD)
    assert r.status_code == 429 and "throttled" in r.json()["detail"].lower()
    assert int(r["Retry-After"]) > 0
    # Another address has its own budget.
    assert api_client.post(TOKEN_URL, GOOD, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_token_failures_lock_the_account_from_that_address_out_of_both_doors(
    api_client, client, user, other_user, settings
):
    settings.LOGIN_MAX_FAILURES = 3
    assert [api_client.post(TOKEN_URL, BAD).status_code for _ in range(3)] == [400, 400, 429]
    r = api_client.post(TOKEN_URL, GOOD)
    assert r.status_code == 429 and "Too many failed sign-in attempts" in r.json()["detail"]
    page = client.post("/accounts/login/", GOOD)
    assert page.status_code == 429 and "Too many failed sign-in attempts" in page.content.decode()
    assert 0 < int(page["Retry-After"]) <= 15 * 60
    # The same account from another address, another account from this one: not locked.
    assert api_client.post(TOKEN_URL, GOOD, REMOTE_ADDR="10.0.0.9").status_code == 200
    bob = {"username": "bob", "password": "bob-pass-123"}
    assert api_client.post(TOKEN_URL, bob).status_code == 200


def test_page_failures_lock_the_token_endpoint_too(api_client, client, user, settings):
    settings.LOGIN_MAX_FAILURES = 2
    assert [client.post("/accounts/login/", BAD).status_code for _ in range(2)] == [200, 429]
    r = api_client.post(TOKEN_URL, GOOD)
    assert r.status_code == 429 and "token" not in r.json()


def test_a_stale_token_does_not_stop_a_new_sign_in(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION="Token expired-or-revoked")
    assert api_client.post(TOKEN_URL, GOOD).status_code == 200
