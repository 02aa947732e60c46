"""The agents page's form: a model id that is not one of yours is refused, never dropped."""

import pytest

from apps.agents.models import Agent
from apps.ml.models import TrainedModel
from apps.strategies.services import strategy_create

pytestmark = pytest.mark.django_db

SHAPE_A = {"symbol": "BTCUSDT", "indicators": {"rsi": {"period": 14, "buy_below": 30}}}


def _model(owner):
    return TrainedModel.objects.create(
        owner=owner, symbol="BTCUSDT", interval="1h", status="succeeded"
    )


@pytest.fixture
def page(client, user):
    client.force_login(user)
    strategy = strategy_create(owner=user, definition=SHAPE_A, name="Mine")
    return lambda model: client.post(
        "/agents/", {"symbol": "BTCUSDT", "strategy": strategy.pk, "model": model}
    )


@pytest.mark.parametrize("which", ["another user's", "a missing", "a malformed"])
def test_a_model_that_is_not_yours_is_refused_and_no_agent_is_made(page, other_user, which):
    model = {
        "another user's": lambda: _model(other_user).pk,
        "a missing": lambda: 987654,
        "a malformed": lambda: "12abc",
    }[which]()
    r = page(model)
    assert r.status_code == 200 and "model: choose one of your trained models" in r.text
    assert not Agent.objects.exists()


def test_your_own_model_or_none_makes_the_agent(page, user):
    mine = _model(user)
    assert page(mine.pk).status_code == 302
    assert Agent.objects.get(owner=user).model == mine
    Agent.objects.all().delete()
    assert page("").status_code == 302 and Agent.objects.get(owner=user).model is None
