import pytest

from apps.agents.services import agent_create
from apps.portfolio.models import Order
from apps.strategies.services import strategy_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_dashboard_agents_and_decision_pages(client, user, btc_candles):
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
