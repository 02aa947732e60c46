"""Shared fixtures: users (made by apps/accounts/tests/factories.UserFactory), API clients,
the shipped candle files, and the real services."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
DEMO_DIR = ROOT / "data" / "demo"
BTC_1H = DEMO_DIR / "BTCUSDT-1h-2020-08_2021-06.csv"
ETH_1H = DEMO_DIR / "ETHUSDT-1h-2020-08_2021-06.csv"


def pytest_collection_modifyitems(config, items):
    """`services` tests need PostgreSQL and a broker; skip them on the embedded default."""
    on_services = os.environ.get("DATABASE_URL", "").startswith(
        ("postgres", "postgresql")
    ) and os.environ.get("CELERY_BROKER_URL")
    if on_services:
        return
    skip = pytest.mark.skip(
        reason="needs DATABASE_URL=postgres://... and CELERY_BROKER_URL (make test-services)"
    )
    for item in items:
        if item.get_closest_marker("services"):
            item.add_marker(skip)


@pytest.fixture
def btc_1h_path() -> Path:
    return BTC_1H


@pytest.fixture
def eth_1h_path() -> Path:
    return ETH_1H


@pytest.fixture
def btc_1h_lines() -> list[str]:
    return BTC_1H.read_text().splitlines()


@pytest.fixture
def user(db):
    from apps.accounts.tests.factories import UserFactory

    return UserFactory(username="alice")


@pytest.fixture
def other_user(db):
    from apps.accounts.tests.factories import UserFactory

    return UserFactory(username="bob")


@pytest.fixture
def importer(db):
    from apps.accounts.tests.factories import UserFactory

    return UserFactory(username="importer", permissions=["import_candles"])


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for():
    """An API client signed in as the given user: ``client_for(other_user)``."""
    from rest_framework.test import APIClient

    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return signed_in


@pytest.fixture
def user_client(user, client_for):
    return client_for(user)


@pytest.fixture
def importer_client(importer, client_for):
    return client_for(importer)


@pytest.fixture
def btc_candles(db, btc_1h_path):
    """The shipped BTCUSDT 1h file imported (7,477 real candles)."""
    from apps.marketdata.services import candles_import

    record = candles_import(source=btc_1h_path, symbol="BTCUSDT", interval="1h")
    assert record.status == "succeeded", record.error
    return record
