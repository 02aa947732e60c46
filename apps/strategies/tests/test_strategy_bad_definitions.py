"""A saved strategy updated with something that is not a strategy object: a 400 naming
strategy_json, never a 500 (found by the schema fuzz: PUT {"strategy_json": -2015})."""

import pytest
from django.core.exceptions import ValidationError

from apps.strategies.models import Strategy
from apps.strategies.services import strategy_update

from .factories import StrategyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategy(user):
    return StrategyFactory(owner=user)


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("definition", [-2015, [1, 2], "not json", '{"symbol": "BTCUSDT"'])
def test_update_with_a_definition_that_is_not_an_object_is_a_400(
    user_client, strategy, method, definition
):
    r = getattr(user_client, method)(
        f"/api/strategies/{strategy.pk}/", {"strategy_json": definition}, format="json"
    )
    assert r.status_code == 400 and list(r.json()) == ["strategy_json"]
    assert Strategy.objects.get(pk=strategy.pk).version == 1


@pytest.mark.parametrize(
    ("definition", "message"),
    [(-2015, "must be a JSON object"), ("not json", "not valid JSON"), ("[1]", "JSON object")],
)
def test_the_update_service_refuses_non_objects_and_bad_json_text(strategy, definition, message):
    with pytest.raises(ValidationError) as exc:
        strategy_update(strategy=strategy, definition=definition)
    assert message in exc.value.message_dict["strategy_json"][0]
