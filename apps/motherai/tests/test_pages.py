import pytest

from apps.agents.services import agent_create
from apps.portfolio.models import Order
from apps.strategies.services import strategy_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_dashboard_agents_and_decision_pages(client, user, btc_candles_fresh):
    s = strategy_create(
        owner=user,
        definition={
            "symbol": "BTCUSDT",
            "entry_conditions": [{"indicator": "close", "condition": "> 0"}],
        },
        name="always",
    )
    agent = agent_create(owner=user, symbol="BTCUSDT", strategy=s)
    client.force_login(user)
    home = client.get("/").content.decode()
    assert 'id="predictions"' in home and "BTCUSDTAgent" in home and "signal-buy" in home
    assert "stale" not in home
    r = client.post("/mother-ai/", {"top_n": 3, "min_score": 0.1, "execute": "1"})
    assert r.status_code == 302
    detail = client.get(r["Location"]).content.decode()
    assert "taken: rank 1" in detail and Order.objects.filter(source="motherai").count() == 1
    assert "BTCUSDT" in client.get("/portfolio/").content.decode()
    assert 'id="reasons"' in client.get(f"/agents/{agent.pk}/").content.decode()
    assert 'id="agents"' in client.get("/agents/").content.decode()
    bad = client.post("/mother-ai/", {"top_n": 0, "min_score": 0.5}, follow=True)
    assert "top_n" in bad.content.decode()
    assert client.get("/mother-ai/99999/").status_code == 404


def test_stale_signals_are_marked_on_every_page(client, user, btc_candles):
    """The shipped candles are historical: every live signal says it is stale, with its age,
    and the Mother AI's page says why it took nothing."""
    s = strategy_create(
        owner=user,
        definition={
            "symbol": "BTCUSDT",
            "entry_conditions": [{"indicator": "close", "condition": "> 0"}],
        },
        name="always",
    )
    agent = agent_create(owner=user, symbol="BTCUSDT", strategy=s)
    client.force_login(user)
    for url in ("/", "/agents/", f"/agents/{agent.pk}/"):
        page = client.get(url).content.decode()
        assert "stale · " in page and "years" in page and 'id="stale-note"' in page, url
        assert "2021-06-10 00:00 UTC" in page, url
    r = client.post("/mother-ai/", {"top_n": 3, "min_score": 0.0})
    detail = client.get(r["Location"]).content.decode()
    assert "skipped: stale data (last candle 2021-06-10 00:00 UTC" in detail
    assert "stale · " in detail and "as of market time 2021-06-10 00:00" in detail
