import pytest

from .fakeserver import FakeBinance

GOOD_KEY = "GoodKey0123456789abcdefWXYZ"
GOOD_SECRET = "SentinelSecret9f8e7d6c5b4a3210ZZ"
WITHDRAW_KEY = "WithdrawKey0123456789abcdef"
WITHDRAW_SECRET = "WithdrawSecret0123456789abcdef"


@pytest.fixture
def fake_binance(settings):
    server = FakeBinance(
        {GOOD_KEY: GOOD_SECRET, WITHDRAW_KEY: WITHDRAW_SECRET}, withdraw_keys={WITHDRAW_KEY}
    ).start()
    settings.BINANCE_BASE_URL = server.url
    settings.BINANCE_TIMEOUT = 10  # generous: a loaded CI machine must not fail a good call
    yield server
    server.stop()


@pytest.fixture
def no_sleep(monkeypatch):
    from apps.binance import services

    slept = []
    monkeypatch.setattr(services, "sleep", slept.append)
    return slept


def _may_import(u):
    from apps.accounts.tests.factories import permit

    return permit(u, "import_candles")


@pytest.fixture
def user(user):
    """Syncs and stored klines write shared candles, which takes the 'import candles'
    permission (issue 12); these tests are about Binance, so their users have it. The
    refusal without it is pinned in tests/hostile/test_inputs.py."""
    return _may_import(user)


@pytest.fixture
def other_user(other_user):
    return _may_import(other_user)
