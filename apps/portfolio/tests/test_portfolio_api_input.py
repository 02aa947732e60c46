"""Portfolio API input the schema fuzz found misread: `?portfolio=` must be an id (an empty
or non-numeric one was a default or a bare 404), `?source=` one of the sources, and money
fields are decimal strings (a JSON number was converted)."""

import pytest

from .factories import PortfolioFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/portfolio/?portfolio=",
        "/api/portfolio/?portfolio=abc",
        "/api/portfolio/orders/?portfolio=1.5",
        "/api/portfolio/trades/?portfolio=",
        "/api/portfolio/performance/?portfolio=x",
    ],
)
def test_a_portfolio_parameter_that_is_not_an_id_is_a_400_naming_it(user_client, url):
    r = user_client.get(url)
    assert r.status_code == 400 and list(r.json()) == ["portfolio"]


def test_an_id_that_is_not_one_of_yours_is_a_404(user_client, other_user):
    theirs = PortfolioFactory(owner=other_user)
    for pk in (theirs.pk, -5, 0):
        assert user_client.get(f"/api/portfolio/?portfolio={pk}").status_code == 404


def test_an_unknown_trade_source_is_a_400(user_client):
    r = user_client.get("/api/portfolio/trades/?source=bogus")
    assert r.status_code == 400 and list(r.json()) == ["source"]
    assert user_client.get("/api/portfolio/trades/?source=").status_code == 200


@pytest.mark.parametrize("field", ["initial_cash", "buy_fraction", "fee_rate"])
def test_money_fields_are_decimal_strings(user_client, field):
    r = user_client.post("/api/portfolio/portfolios/", {"name": "p", field: 0}, format="json")
    assert r.status_code == 400 and list(r.json()) == [field]
    ok = user_client.post(
        "/api/portfolio/portfolios/", {"name": "p", "fee_rate": "0.002"}, format="json"
    )
    assert ok.status_code == 201 and ok.json()["fee_rate"] == "0.002000"
