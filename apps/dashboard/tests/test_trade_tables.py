"""The home page's recent trades and the portfolio page's trade log are one table
(templates/portfolio/_trades.html): the short form and the full one."""

from decimal import Decimal

import pytest

from apps.portfolio.services import portfolio_get_or_create_default
from apps.portfolio.tests.factories import TradeLogFactory

pytestmark = pytest.mark.django_db


def _table(html: str, table_id: str) -> str:
    start = html.index(f'<table class="table" id="{table_id}">')
    return html[start : html.index("</table>", start)]


def test_home_and_portfolio_show_the_same_trade_in_the_short_and_full_table(client, user):
    portfolio = portfolio_get_or_create_default(owner=user)
    TradeLogFactory(
        portfolio=portfolio, symbol="ETHUSDT", pnl=Decimal("12.5"), drawdown=3.25, roi=1.5
    )
    client.force_login(user)
    short = _table(client.get("/").content.decode(), "recent-trades")
    full = _table(client.get("/portfolio/").content.decode(), "trade-log")
    for table in (short, full):
        assert "ETHUSDT" in table and "+12.50" in table and "+1.50%" in table
        assert "P&amp;L (USDT)" in table  # the money's currency, once, in the header
    assert short.count("</th>") == 7 and "Drawdown" not in short and "3.25" not in short
    assert full.count("</th>") == 13 and "Drawdown" in full and "3.25%" in full


def test_both_tables_say_when_there_are_no_trades(client, user):
    client.force_login(user)
    assert "No closed paper trades yet." in _table(
        client.get("/").content.decode(), "recent-trades"
    )
    assert "No closed trades yet." in _table(
        client.get("/portfolio/").content.decode(), "trade-log"
    )
