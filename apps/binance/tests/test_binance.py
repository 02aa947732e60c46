"""Binance against a local fake exchange, through the real python-binance client."""

import logging
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from apps.binance import crypto
from apps.binance.models import BinanceCredential, KlineSync
from apps.marketdata.selectors import candles_frame
from engine.marketdata import read_candles

from .conftest import GOOD_KEY, GOOD_SECRET, WITHDRAW_KEY, WITHDRAW_SECRET

pytestmark = pytest.mark.django_db(transaction=True)
BTC = Path(__file__).resolve().parents[3] / "data" / "demo" / "BTCUSDT-1h-2020-08_2021-06.csv"


def _sync(client, **payload):
    return client.post(
        "/api/binance/syncs/", {"symbol": "BTCUSDT", "interval": "1h", **payload}, format="json"
    )


def test_sync_over_several_pages_stores_exactly_the_range_and_resumes(user_client, fake_binance):
    start, end = "2020-09-01T00:00:00Z", "2020-12-15T00:00:00Z"
    r = _sync(user_client, start=start, end=end)
    assert r.status_code == 202, r.json()
    job = user_client.get(r.json()["url"]).json()
    assert job["status"] == "succeeded" and job["pages"] >= 3, job
    expected = read_candles(BTC).frame.loc[start:end]
    got = candles_frame(symbol="BTCUSDT", interval="1h")
    pd.testing.assert_frame_equal(got, expected, check_freq=False)
    again = user_client.get(_sync(user_client, start=start, end=end).json()["url"]).json()
    assert again["candles_inserted"] == 0 and len(
        candles_frame(symbol="BTCUSDT", interval="1h")
    ) == len(expected)


def test_429_then_success_waits_and_completes(user_client, fake_binance, no_sleep):
    fake_binance.rate_limit_next = 2
    fake_binance.retry_after = 3
    job = user_client.get(
        _sync(user_client, start="2021-01-01T00:00:00Z", end="2021-01-03T00:00:00Z").json()["url"]
    ).json()
    assert job["status"] == "succeeded" and no_sleep == [3.0, 3.0] and job["waits"] == [3.0, 3.0]


def test_persistent_418_or_a_dropped_connection_fails_cleanly_keeping_what_was_stored(
    user_client, fake_binance, no_sleep
):
    job = user_client.get(
        _sync(user_client, start="2021-01-01T00:00:00Z", end="2021-01-03T00:00:00Z").json()["url"]
    ).json()
    stored = len(candles_frame(symbol="BTCUSDT", interval="1h"))
    assert job["status"] == "succeeded" and stored == 49
    fake_binance.ban = True
    banned = user_client.get(_sync(user_client, start="2021-01-01T00:00:00Z").json()["url"]).json()
    assert banned["status"] == "failed" and "418" in banned["error"]
    fake_binance.ban = False
    fake_binance.drop = True
    dropped = user_client.get(_sync(user_client, start="2021-02-01T00:00:00Z").json()["url"]).json()
    assert dropped["status"] == "failed" and "unreachable" in dropped["error"]
    assert len(candles_frame(symbol="BTCUSDT", interval="1h")) == stored


def test_unknown_symbol_and_bad_input(user_client, fake_binance):
    job = user_client.get(
        _sync(user_client, symbol="NOPEUSDT", start="2021-01-01T00:00:00Z").json()["url"]
    ).json()
    assert job["status"] == "failed" and "does not know this symbol" in job["error"]
    for params, field in [
        ({"symbol": "BTCUSDT", "interval": "7h"}, "interval"),
        ({"symbol": "BTCUSDT", "limit": 0}, "limit"),
        ({"symbol": "BTCUSDT", "limit": 5000}, "limit"),
        ({"symbol": "NOPEUSDT"}, "symbol"),
    ]:
        r = user_client.get("/api/binance/ohlcv/", params)
        assert r.status_code == 400 and field in r.json(), (params, r.json())
    bad = _sync(user_client, start="2021-02-01T00:00:00Z", end="2021-01-01T00:00:00Z")
    assert bad.status_code == 400 and "end" in bad.json()


def test_ohlcv_get_returns_without_storing_and_post_stores(user_client, fake_binance):
    # A GET has no side effect (issue 12); the POST stores (its user may import candles).
    query = {"symbol": "ETHUSDT", "interval": "1h", "limit": 50}
    r = user_client.get("/api/binance/ohlcv/", query)
    assert (
        r.status_code == 200
        and r.json()["count"] == 50
        and r.json()["time_epoch_s"][-1] == 1623279600
    )
    assert len(candles_frame(symbol="ETHUSDT", interval="1h")) == 0
    r = user_client.post("/api/binance/ohlcv/", query, format="json")
    assert r.status_code == 200 and r.json()["count"] == 50
    assert len(candles_frame(symbol="ETHUSDT", interval="1h")) == 50


def test_connect_validate_refuse_withdrawals_and_disconnect(user_client, fake_binance):
    bad = user_client.post(
        "/api/binance/connect/",
        {"apiKey": "WrongKey0123456789abcdef", "secretKey": "WrongSecret0123456789abc"},
        format="json",
    )
    assert bad.status_code == 400 and "Invalid API-key" in str(bad.json())
    wd = user_client.post(
        "/api/binance/connect/",
        {"apiKey": WITHDRAW_KEY, "secretKey": WITHDRAW_SECRET},
        format="json",
    )
    assert wd.status_code == 400 and "withdrawals" in str(wd.json())
    ok = user_client.post(
        "/api/binance/connect/", {"apiKey": GOOD_KEY, "secretKey": GOOD_SECRET}, format="json"
    )
    assert ok.status_code == 201 and ok.json()["key_hint"] == "••••WXYZ"
    status = user_client.get("/api/binance/status/").json()
    assert status["connected"] and status["permissions"]["enableWithdrawals"] is False
    assert user_client.delete("/api/binance/connect/").status_code == 204
    assert (
        not BinanceCredential.objects.exists()
        and not user_client.get("/api/binance/status/").json()["connected"]
    )


def test_the_secret_appears_nowhere_in_clear(
    user_client, user, client, fake_binance, no_sleep, django_user_model
):
    user_client.post(
        "/api/binance/connect/", {"apiKey": GOOD_KEY, "secretKey": GOOD_SECRET}, format="json"
    )
    bodies = [user_client.get("/api/binance/status/").content.decode()]
    bodies.append(
        user_client.get(
            _sync(user_client, start="2021-01-01T00:00:00Z", end="2021-01-02T00:00:00Z").json()[
                "url"
            ]
        ).content.decode()
    )
    fake_binance.ban = True
    bodies.append(
        user_client.get(
            _sync(user_client, start="2021-03-01T00:00:00Z").json()["url"]
        ).content.decode()
    )
    bodies.append(
        user_client.post(
            "/api/binance/connect/", {"apiKey": GOOD_KEY, "secretKey": GOOD_SECRET}, format="json"
        ).content.decode()
    )
    fake_binance.ban = False
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-123")
    client.force_login(admin)
    cred = BinanceCredential.objects.get()
    bodies.append(client.get("/admin/binance/binancecredential/").content.decode())
    bodies.append(
        client.get(f"/admin/binance/binancecredential/{cred.pk}/change/").content.decode()
    )
    client.force_login(user)
    bodies.append(client.get("/binance/").content.decode())
    for handler in logging.getLogger().handlers:
        handler.flush()
    bodies.append(Path(settings.LOG_FILE).read_text(errors="ignore"))
    bodies += [str(list(KlineSync.objects.values()))]
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM binance_binancecredential")
        bodies.append(repr(cur.fetchall()))
    blob = "\n".join(bodies)
    assert GOOD_SECRET not in blob and GOOD_KEY not in blob
    assert "••••WXYZ" in blob
    assert crypto.decrypt(cred.secret_encrypted) == GOOD_SECRET


def test_keys_are_private_and_a_wrong_fernet_key_is_an_error(
    user_client, other_user, fake_binance, settings, client_for
):
    user_client.post(
        "/api/binance/connect/", {"apiKey": GOOD_KEY, "secretKey": GOOD_SECRET}, format="json"
    )
    other = client_for(other_user)
    assert other.get("/api/binance/status/").json()["connected"] is False
    assert other.delete("/api/binance/connect/").status_code == 404
    job = user_client.get(
        _sync(user_client, start="2021-01-01T00:00:00Z", end="2021-01-02T00:00:00Z").json()["url"]
    ).json()
    assert other.get(f"/api/binance/syncs/{job['id']}/").status_code == 404
    cred = BinanceCredential.objects.get()
    from cryptography.fernet import Fernet

    settings.BINANCE_FERNET_KEYS = Fernet.generate_key().decode()
    with pytest.raises(crypto.SecretsUnreadable, match="cannot be decrypted"):
        crypto.decrypt(cred.secret_encrypted)


def test_rotation_re_encrypts_under_a_new_key(user_client, fake_binance, settings, monkeypatch):
    import base64
    import os

    from cryptography.fernet import Fernet

    r = user_client.post(
        "/api/binance/connect/", {"apiKey": GOOD_KEY, "secretKey": GOOD_SECRET}, format="json"
    )
    assert r.status_code == 201, r.json()
    # A key from the environment (kept out of the process list).
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("BINANCE_NEW_FERNET_KEY", new)
    call_command("rotate_binance_key")
    settings.BINANCE_FERNET_KEYS = new
    assert crypto.decrypt(BinanceCredential.objects.get().secret_encrypted) == GOOD_SECRET
    # A key on the command line that starts with "-" (1 in 16 generated keys do).
    monkeypatch.delenv("BINANCE_NEW_FERNET_KEY")
    dash = base64.urlsafe_b64encode(bytes([0xF8]) + os.urandom(31)).decode()
    assert dash.startswith("-")
    call_command("rotate_binance_key", f"--new-key={dash}")
    settings.BINANCE_FERNET_KEYS = f"{dash},{new}"
    assert crypto.decrypt(BinanceCredential.objects.get().secret_encrypted) == GOOD_SECRET
    settings.BINANCE_FERNET_KEYS = new  # the old key alone no longer reads it
    with pytest.raises(crypto.SecretsUnreadable):
        crypto.decrypt(BinanceCredential.objects.get().secret_encrypted)
    with pytest.raises(CommandError, match="BINANCE_NEW_FERNET_KEY"):
        call_command("rotate_binance_key")


def test_fetch_command(fake_binance, user, capsys):
    call_command(
        "fetch_binance_klines", "BTCUSDT", "1h", "--start", "2021-01-01", "--end", "2021-01-02"
    )
    assert "25 inserted" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("fetch_binance_klines", "NOPEUSDT", "1h", "--start", "2021-01-01")


def test_periodic_sync_per_market_runs_when_due_and_only_when_enabled(user_client, fake_binance):
    from datetime import timedelta

    from django.utils import timezone

    from apps.binance.models import SyncSchedule
    from apps.binance.tasks import sync_schedules

    assert settings.CELERY_BEAT_SCHEDULE["binance-sync-schedules"]["task"] == (
        "binance.sync_schedules"
    )
    bad = user_client.post(
        "/api/binance/schedules/",
        {"symbol": "BTCUSDT", "interval": "1h", "start": "2021-05-01", "every_minutes": 0},
        format="json",
    )
    assert bad.status_code == 400 and "every_minutes" in bad.json(), bad.json()
    off = user_client.post(
        "/api/binance/schedules/",
        {"symbol": "ETHUSDT", "interval": "1h", "start": "2021-05-01", "enabled": False},
        format="json",
    )
    r = user_client.post(
        "/api/binance/schedules/",
        {"symbol": "btcusdt", "interval": "1h", "start": "2021-05-01T00:00:00Z"},
        format="json",
    )
    assert off.status_code == r.status_code == 201, r.json()
    assert r.json()["symbol"] == "BTCUSDT" and r.json()["enabled"] is True

    assert sync_schedules() == 1  # only the enabled market, and it was never run
    first = KlineSync.objects.get()
    assert (first.symbol, first.status) == ("BTCUSDT", "succeeded")
    stored = len(candles_frame(symbol="BTCUSDT", interval="1h"))
    expected = read_candles(BTC).frame.loc["2021-05-01":]
    assert stored == len(expected) and first.candles_inserted == stored

    assert sync_schedules() == 0  # not due again for an hour
    SyncSchedule.objects.filter(symbol="BTCUSDT").update(
        last_run_at=timezone.now() - timedelta(minutes=61)
    )
    assert sync_schedules() == 1
    second = KlineSync.objects.order_by("-id").first()
    assert second.status == "succeeded" and second.candles_inserted == 0  # resumed at the end
    assert SyncSchedule.objects.get(symbol="BTCUSDT").last_sync_id == second.pk

    pk = r.json()["id"]
    assert (
        user_client.patch(f"/api/binance/schedules/{pk}/", {"enabled": False}).json()["enabled"]
        is False
    )
    SyncSchedule.objects.update(last_run_at=None)
    assert sync_schedules() == 0
    assert user_client.delete(f"/api/binance/schedules/{pk}/").status_code == 204
    assert not SyncSchedule.objects.filter(pk=pk).exists()


def test_schedules_are_private(user_client, other_user, fake_binance, client_for):
    pk = user_client.post(
        "/api/binance/schedules/",
        {"symbol": "BTCUSDT", "interval": "1h", "start": "2021-05-01"},
        format="json",
    ).json()["id"]
    bob = client_for(other_user)
    assert bob.get("/api/binance/schedules/").json()["count"] == 0
    for method in ("get", "patch", "delete"):
        assert getattr(bob, method)(f"/api/binance/schedules/{pk}/").status_code == 404


def test_settings_page_keeps_a_market_in_sync(client, user, other_user):
    from apps.binance.models import SyncSchedule

    client.force_login(user)
    r = client.post(
        "/binance/",
        {
            "action": "schedule",
            "symbol": "ethusdt",
            "interval": "4h",
            "start": "2021-01-01",
            "every_minutes": "30",
        },
        follow=True,
    )
    schedule = SyncSchedule.objects.get(owner=user)
    assert (schedule.symbol, schedule.interval, schedule.every_minutes) == ("ETHUSDT", "4h", 30)
    assert schedule.enabled and "ETHUSDT 4h" in r.content.decode()
    bad = client.post(
        "/binance/",
        {
            "action": "schedule",
            "symbol": "BTCUSDT",
            "interval": "1h",
            "start": "someday",
            "every_minutes": "5",
        },
        follow=True,
    )
    assert "start: not a date" in bad.content.decode() and SyncSchedule.objects.count() == 1
    client.post("/binance/", {"action": "schedule_toggle", "schedule": schedule.pk})
    assert SyncSchedule.objects.get().enabled is False
    client.force_login(other_user)
    assert (
        client.post("/binance/", {"action": "schedule_delete", "schedule": schedule.pk}).status_code
        == 404
    )
    client.force_login(user)
    client.post("/binance/", {"action": "schedule_delete", "schedule": schedule.pk})
    assert not SyncSchedule.objects.exists()
