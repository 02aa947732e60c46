"""Sign-in and tokens under attack (issue 12, finding 6; THROTTLE_LOGIN=false from finding 7).

Behind the reverse proxy the README prescribes, every request comes from the proxy's
address; the client is the last X-Forwarded-For entry (NUM_PROXIES=1). Ten bad passwords
used to lock every account out of both doors for 15 minutes; rotating X-Forwarded-For used
to bypass the token rate limit; tokens never expired, survived sign-out and password change,
could not be revoked and were stored in clear.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.forms import SetPasswordForm
from django.core.cache import cache
from django.utils import timezone

from apps.accounts.throttles import LoginRateThrottle

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"
TOKEN = "/api/auth/token/"
PROTECTED = "/api/market-data/symbols/"
PROXY = "10.0.0.1"  # the reverse proxy: REMOTE_ADDR of every request
GUESSER = "198.51.100.7"  # the client that guesses alice's password
ELSEWHERE = "203.0.113.9"  # another client
ALICE = {"username": "alice", "password": "alice-pass-123"}
BOB = {"username": "bob", "password": "bob-pass-123"}
WRONG = {"username": "alice", "password": "guess"}


def via(client_ip: str, spoofed: str = "") -> dict:
    """The request as the proxy forwards it: the proxy appends the address it saw."""
    xff = f"{spoofed}, {client_ip}" if spoofed else client_ip
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": xff}


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def behind_proxy(settings):
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.LOGIN_MAX_FAILURES = 10
    settings.LOGIN_LOCKOUT_MINUTES = 15
    return settings


def _fail_ten_times(client, url):
    codes = [client.post(url, WRONG, **via(GUESSER)).status_code for _ in range(10)]
    # Nine plain refusals, then the tenth locks the pair and says so.
    assert codes[:9] == [200 if url == LOGIN else 400] * 9 and codes[9] == 429, codes


def _age_failures(minutes: int) -> None:
    """Move the recorded failures into the past, as if `minutes` had gone by."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.parametrize("door", [LOGIN, TOKEN])
def test_lockout_behind_proxy_locks_only_the_account_from_that_address(
    door, behind_proxy, client, api_client, user, other_user
):
    http = client if door == LOGIN else api_client
    _fail_ten_times(http, door)

    # Another account from the same client, and the same account from another client: fine.
    ok = 302 if door == LOGIN else 200
    assert http.post(door, BOB, **via(GUESSER)).status_code == ok
    if door == LOGIN:
        client.post("/accounts/logout/")
    assert http.post(door, ALICE, **via(ELSEWHERE)).status_code == ok
    if door == LOGIN:
        client.post("/accounts/logout/")

    # The guessed account from the guessing client: 429 even with the right password, on both
    # doors, with Retry-After the true time left (15 minutes less the 5 that went by).
    _age_failures(5)
    page = client.post(LOGIN, ALICE, **via(GUESSER))
    api = api_client.post(TOKEN, ALICE, **via(GUESSER))
    assert page.status_code == 429 and api.status_code == 429
    for r in (page, api):
        assert 590 <= int(r["Retry-After"]) <= 600, r["Retry-After"]
    body = page.content.decode()
    assert "Sign in" in body and "Too many failed sign-in attempts for this account" in body
    assert "10 minutes" in body
    assert "Too many failed sign-in attempts" in api.json()["detail"] and "token" not in api.json()

    # A refused attempt does not restart the clock; once the window ends, alice is back.
    _age_failures(16)
    assert api_client.post(TOKEN, ALICE, **via(GUESSER)).status_code == 200


def test_forged_forwarded_for_does_not_escape_the_lockout(behind_proxy, api_client, user):
    """The client writes what it likes left of the proxy's entry; only the proxy's counts."""
    for i in range(10):
        api_client.post(TOKEN, WRONG, **via(GUESSER, spoofed=f"192.0.2.{i}"))
    r = api_client.post(TOKEN, ALICE, **via(GUESSER, spoofed="192.0.2.200"))
    assert r.status_code == 429
    assert api_client.post(TOKEN, ALICE, **via(ELSEWHERE, spoofed=GUESSER)).status_code == 200


def test_without_a_proxy_forwarded_for_is_ignored(api_client, user, monkeypatch):
    """The default (NUM_PROXIES=0): the address is REMOTE_ADDR, whatever the header says."""
    monkeypatch.setattr(LoginRateThrottle, "rate", "3/min", raising=False)
    codes = [
        api_client.post(TOKEN, ALICE, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}").status_code
        for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]


def test_num_proxies_reaches_drf_throttles():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tradingsite.settings.local", "NUM_PROXIES": "1"}
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.NUM_PROXIES, s.REST_FRAMEWORK['NUM_PROXIES'])"
    p = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert p.stdout.split() == ["1", "1"], p.stderr[-500:]


def test_rotating_forwarded_for_does_not_bypass_the_token_rate(
    behind_proxy, api_client, user, monkeypatch
):
    monkeypatch.setattr(LoginRateThrottle, "rate", "3/min", raising=False)
    codes = [
        api_client.post(TOKEN, ALICE, **via(GUESSER, spoofed=f"1.2.3.{i}")).status_code
        for i in range(6)
    ]
    assert codes == [200, 200, 200, 429, 429, 429]
    # Another real client has its own budget.
    assert api_client.post(TOKEN, ALICE, **via(ELSEWHERE)).status_code == 200


def test_the_sign_in_page_shares_the_address_rate(behind_proxy, client, user, monkeypatch):
    monkeypatch.setattr(LoginRateThrottle, "rate", "3/min", raising=False)
    for _ in range(3):
        assert client.post(LOGIN, WRONG, **via(GUESSER)).status_code == 200
    r = client.post(LOGIN, ALICE, **via(GUESSER))
    assert r.status_code == 429 and 0 < int(r["Retry-After"]) <= 60
    assert "Too many sign-in attempts from this address" in r.content.decode()


def _token(api_client, creds=ALICE) -> str:
    r = api_client.post(TOKEN, creds)
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"token", "expiry"}
    return body["token"]


def _status_with(token: str) -> int:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(PROTECTED).status_code


def test_token_expires(api_client, user, settings):
    from knox.models import AuthToken

    settings.API_TOKEN_TTL_HOURS = 24
    before = timezone.now()
    r = api_client.post(TOKEN, ALICE).json()
    expiry = AuthToken.objects.get(user=user).expiry
    assert timedelta(hours=23, minutes=59) < expiry - before <= timedelta(hours=24, seconds=5)
    assert r["expiry"]
    assert _status_with(r["token"]) == 200
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    assert _status_with(r["token"]) == 401


def test_each_sign_in_makes_a_new_token_and_the_count_is_capped(api_client, user, settings):
    from knox.models import AuthToken

    settings.API_TOKEN_MAX_PER_USER = 3
    tokens = [_token(api_client) for _ in range(5)]
    assert len(set(tokens)) == 5
    assert AuthToken.objects.filter(user=user).count() == 3
    assert [_status_with(t) for t in tokens] == [401, 401, 200, 200, 200]


def test_delete_revokes_the_token_used(api_client, user):
    kept, revoked = _token(api_client), _token(api_client)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {revoked}")
    assert api_client.delete(TOKEN).status_code == 204
    assert _status_with(revoked) == 401 and _status_with(kept) == 200
    assert api_client.delete(TOKEN).status_code == 401
    api_client.credentials()
    assert api_client.delete(TOKEN).status_code == 401


def test_page_sign_out_revokes_every_token(api_client, client, user, other_user):
    mine = [_token(api_client), _token(api_client)]
    bobs = _token(api_client, BOB)
    assert client.post(LOGIN, ALICE).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert [_status_with(t) for t in mine] == [401, 401]
    assert _status_with(bobs) == 200


@pytest.mark.parametrize("path", ["model", "form"])
def test_password_change_revokes_every_token(path, api_client, user, other_user):
    from django.contrib.auth import get_user_model

    mine = _token(api_client)
    bobs = _token(api_client, BOB)
    fresh = get_user_model().objects.get(pk=user.pk)
    if path == "model":
        fresh.set_password("another-pass-456")
        fresh.save()
    else:  # the admin's and Django's password forms
        form = SetPasswordForm(
            fresh, {"new_password1": "another-pass-456", "new_password2": "another-pass-456"}
        )
        assert form.is_valid(), form.errors
        form.save()
    assert _status_with(mine) == 401 and _status_with(bobs) == 200
    # Saving the user for anything else keeps the tokens.
    newer = _token(api_client, {"username": "alice", "password": "another-pass-456"})
    fresh.refresh_from_db()
    fresh.first_name = "Alice"
    fresh.save()
    assert _status_with(newer) == 200


def test_tokens_are_not_stored_in_clear(api_client, user):
    from knox.models import AuthToken

    token = _token(api_client)
    stored = AuthToken.objects.get(user=user)
    assert stored.digest == hashlib.sha512(token.encode()).hexdigest()
    # No column of any table holds the token (knox keeps a 15-character lookup prefix).
    for model in apps.get_models():
        for row in model.objects.values_list():
            assert token not in repr(row), model


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("THROTTLE_LOGIN", "false", "THROTTLE_LOGIN must be a rate such as 10/min"),
        ("THROTTLE_UPLOAD", "0/hour", "THROTTLE_UPLOAD must be a rate such as 10/min"),
        ("NUM_PROXIES", "-1", "NUM_PROXIES must be a whole number between 0 and 10"),
        ("LOGIN_MAX_FAILURES", "ten", "LOGIN_MAX_FAILURES must be a whole number"),
        ("LOGIN_LOCKOUT_MINUTES", "0", "LOGIN_LOCKOUT_MINUTES must be a whole number"),
        ("API_TOKEN_TTL_HOURS", "1e9", "API_TOKEN_TTL_HOURS must be a whole number"),
        ("API_TOKEN_MAX_PER_USER", "", "API_TOKEN_MAX_PER_USER must be a whole number"),
        # Every other setting read from the environment goes through the same checks.
        ("THROTTLE_HEALTH", "fast", "THROTTLE_HEALTH must be a rate such as 10/min"),
        ("JOB_STALE_SECONDS", "1m", "JOB_STALE_SECONDS must be a whole number 1 or more"),
        ("JOBS_EAGER_MODE", "threads", "JOBS_EAGER_MODE must be one of thread, inline"),
        ("JSON_MAX_DEPTH", "deep", "JSON_MAX_DEPTH must be a whole number"),
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("BINANCE_TIMEOUT", "nan", "BINANCE_TIMEOUT must be a number of 0 or more"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(name, value, message):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tradingsite.settings.local", name: value}
    p = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode != 0
    assert "ImproperlyConfigured" in p.stderr and message in p.stderr, p.stderr[-500:]
    assert repr(value) in p.stderr


def test_the_admin_sign_in_is_locked_out_too(client, user, settings):
    """Any other sign-in form (the admin's) gets axes' lockout with the same true Retry-After."""
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        r = client.post("/admin/login/", WRONG)
    assert r.status_code == 429 and 890 <= int(r["Retry-After"]) <= 900
    assert "Too many failed sign-in attempts" in r.content.decode()
    assert client.post("/admin/login/", ALICE).status_code == 429
