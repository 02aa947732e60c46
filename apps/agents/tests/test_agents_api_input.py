"""Agents API input, as the schema fuzz found it misread: PATCH is partial, and `?store=`
takes a boolean (an empty or unknown value is a 400, not a quiet false)."""

import pytest

from apps.agents.services import agent_create
from apps.strategies.services import strategy_create

from .test_agents import RSI_ONLY

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(user):
    strategy = strategy_create(owner=user, definition=RSI_ONLY, name="rsi")
    return agent_create(owner=user, symbol="BTCUSDT", strategy=strategy, enabled=False)


def test_patch_without_fields_changes_nothing(user_client, agent):
    r = user_client.patch(f"/api/agents/{agent.pk}/", {}, format="json")
    assert r.status_code == 200 and r.json()["enabled"] is False
    r = user_client.patch(f"/api/agents/{agent.pk}/", {"enabled": True}, format="json")
    assert r.status_code == 200 and r.json()["enabled"] is True


@pytest.mark.parametrize("body", [{"enabled": 1}, {"enabled": "yes"}, {"enabled": None}])
def test_patch_enabled_must_be_a_boolean(user_client, agent, body):
    r = user_client.patch(f"/api/agents/{agent.pk}/", body, format="json")
    assert r.status_code == 400 and list(r.json()) == ["enabled"]


@pytest.mark.parametrize("store", ["", "maybe"])
def test_predict_store_must_be_a_boolean(user_client, agent, store):
    r = user_client.get(f"/api/agents/BTCUSDT/predict/?store={store}")
    assert r.status_code == 400 and list(r.json()) == ["store"]
