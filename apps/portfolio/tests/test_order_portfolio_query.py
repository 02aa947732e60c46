"""POST /api/portfolio/orders/?portfolio= names the portfolio as GET does: yours, else 404."""

import pytest

from apps.portfolio.models import Order
from apps.portfolio.services import portfolio_get_or_create_default

from .factories import PortfolioFactory

pytestmark = pytest.mark.django_db

ORDER = {"symbol": "BTCUSDT", "action": "buy", "price": "20000"}


def test_query_portfolio_of_yours_receives_the_order(user_client, user):
    portfolio_get_or_create_default(owner=user)
    second = PortfolioFactory(owner=user)
    r = user_client.post(f"/api/portfolio/orders/?portfolio={second.pk}", ORDER, format="json")
    assert r.status_code == 201 and r.json()["portfolio"] == second.pk


@pytest.mark.parametrize("whose", ["another user's", "a missing"])
def test_query_portfolio_not_yours_is_a_404_and_no_order(user_client, other_user, whose):
    pk = PortfolioFactory(owner=other_user).pk if whose != "a missing" else 987654
    r = user_client.post(f"/api/portfolio/orders/?portfolio={pk}", ORDER, format="json")
    assert r.status_code == 404
    assert not Order.objects.exists()
