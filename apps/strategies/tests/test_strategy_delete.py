"""Deleting a strategy an agent still trades is refused with a clear error, not a 500."""

import pytest
from django.contrib.messages import get_messages

from apps.agents.services import agent_create
from apps.strategies.models import Strategy

from .factories import StrategyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def traded(user):
    strategy = StrategyFactory(owner=user, name="In use")
    agent_create(owner=user, symbol="BTCUSDT", strategy=strategy, name="BTCUSDTAgent")
    return strategy


def test_api_delete_of_a_strategy_an_agent_uses_is_a_400_naming_the_agent(user_client, traded):
    r = user_client.delete(f"/api/strategies/{traded.pk}/")
    assert r.status_code == 400
    assert "BTCUSDTAgent" in r.json()["strategy"][0]
    assert Strategy.objects.filter(pk=traded.pk).exists() and traded.versions.count() == 1


def test_page_delete_of_a_strategy_an_agent_uses_says_why_and_keeps_it(client, user, traded):
    client.force_login(user)
    r = client.post(f"/strategies/{traded.pk}/delete/")
    assert r.status_code == 302 and r["Location"] == f"/strategies/{traded.pk}/"
    assert any("BTCUSDTAgent" in str(m) for m in get_messages(r.wsgi_request))
    assert Strategy.objects.filter(pk=traded.pk).exists()
