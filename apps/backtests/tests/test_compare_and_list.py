"""The runs list's filters and sorting (API and page) and the comparison of 2-6 runs:
metrics side by side, equity in % from each start; bad input a 400 naming the parameter,
another user's run "no such run" like an unknown one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.accounts.tests.factories import UserFactory
from apps.backtests.models import BacktestRun
from apps.backtests.tests.factories import BacktestRunFactory
from apps.core.jobs import JobStatus
from apps.strategies.tests.factories import StrategyFactory

pytestmark = pytest.mark.django_db

T0 = 1_700_000_000_000


def _run(owner, *, ret, sharpe, dd, symbol="BTCUSDT", balance=10_000.0, days_ago=0, **kw):
    run = BacktestRunFactory(
        owner=owner,
        symbol=symbol,
        status=JobStatus.SUCCEEDED,
        initial_balance=balance,
        metrics={
            "total_return_pct": ret,
            "sharpe": sharpe,
            "max_drawdown_pct": dd,
            "num_trades": 3,
        },
        equity_curve=[
            [T0, balance, balance],
            [T0 + 3_600_000, balance * 1.5, balance],
            [T0 + 7_200_000, balance * (1 + ret / 100), balance],
        ],
        first_candle=datetime(2023, 11, 14, tzinfo=UTC),
        last_candle=datetime(2023, 11, 15, tzinfo=UTC),
        **kw,
    )
    if days_ago:
        BacktestRun.objects.filter(pk=run.pk).update(
            created_at=datetime.now(UTC) - timedelta(days=days_ago)
        )
    return run


@pytest.fixture
def runs(user):
    strategy = StrategyFactory(owner=user)
    return {
        "a": _run(user, ret=12.5, sharpe=1.5, dd=8.0, strategy=strategy),
        "b": _run(user, ret=-4.0, sharpe=None, dd=20.0, symbol="ETHBTC", days_ago=10),
        "c": _run(user, ret=30.0, sharpe=0.4, dd=35.0, balance=500.0),
        "q": BacktestRunFactory(owner=user, status=JobStatus.QUEUED),
    }


def _ids(client, query: str = "") -> list[int]:
    r = client.get(f"/api/backtests/?{query}")
    assert r.status_code == 200, r.json()
    return [row["id"] for row in r.json()["results"]]


def test_filters_and_ordering_on_the_api(user_client, runs):
    a, b, c, q = (runs[k].pk for k in "abcq")
    assert _ids(user_client) == [q, c, a, b]  # newest first
    # Without a Sharpe (b's is null, q has no metrics): last, newest first among them.
    assert _ids(user_client, "ordering=-sharpe") == [a, c, q, b]
    assert _ids(user_client, "ordering=sharpe") == [c, a, q, b]
    assert _ids(user_client, "ordering=-total_return_pct") == [c, a, b, q]
    assert _ids(user_client, "ordering=max_drawdown_pct") == [a, b, c, q]
    assert _ids(user_client, "ordering=-symbol")[0] == b
    assert _ids(user_client, "symbol=ethbtc") == [b]
    assert _ids(user_client, "status=queued") == [q]
    assert _ids(user_client, f"strategy={runs['a'].strategy_id}") == [a]
    assert _ids(user_client, "return_min=0&ordering=total_return_pct") == [a, c]
    assert _ids(user_client, "return_max=0") == [b]
    assert _ids(user_client, "sharpe_min=1") == [a]
    assert _ids(user_client, "sharpe_max=1") == [c]
    assert _ids(user_client, "drawdown_max=20&ordering=id") == [a, b]
    today = datetime.now(UTC).date()
    assert _ids(user_client, f"created_to={today - timedelta(days=5)}") == [b]
    assert b not in _ids(user_client, f"created_from={today - timedelta(days=1)}")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ordering=colour", "ordering"),
        ("ordering=-", "ordering"),
        ("return_min=lots", "return_min"),
        ("sharpe_min=2&sharpe_max=1", "sharpe_max"),
        ("created_from=yesterday", "created_from"),
        ("drawdown_max=-1", "drawdown_max"),
        ("status=done", "status"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_them(user_client, runs, query, field):
    r = user_client.get(f"/api/backtests/?{query}")
    assert r.status_code == 400 and field in r.json(), r.json()


def test_another_users_strategy_is_no_such_strategy(user_client, runs):
    foreign = StrategyFactory(owner=UserFactory())
    for ref in (foreign.pk, 987654):
        r = user_client.get(f"/api/backtests/?strategy={ref}")
        assert r.status_code == 400
        assert r.json() == {"strategy": ["no such strategy among yours"]}


def test_list_page_filters_sorts_and_offers_compare(user, runs):
    from django.test import Client

    client = Client()
    client.force_login(user)
    page = client.get("/backtests/?ordering=-sharpe&symbol=&return_min=0")
    assert page.status_code == 200
    html = page.content.decode()
    a, c = runs["a"].pk, runs["c"].pk
    assert html.index(f'data-run="{a}"') < html.index(f'data-run="{c}"')
    assert f'data-run="{runs["b"].pk}"' not in html
    assert 'name="runs"' in html and 'id="compare-button"' in html
    assert "+12.50%" in html and "1.50" in html  # the formatting layer: signed %, Sharpe
    bad = client.get("/backtests/?sharpe_min=high")
    assert bad.status_code == 400 and "A valid number is required." in bad.content.decode()


def test_compare_api_gives_metrics_and_equity_in_percent(user_client, runs):
    a, c = runs["a"], runs["c"]
    r = user_client.get(f"/api/backtests/compare/?runs={c.pk},{a.pk}")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert [x["id"] for x in body["runs"]] == [c.pk, a.pk]  # the order asked for
    # In the metrics table's order (apps.core.formatting.METRICS), on any database.
    assert body["metrics"] == ["total_return_pct", "max_drawdown_pct", "sharpe", "num_trades"]
    assert body["runs"][1]["metrics"]["sharpe"] == 1.5
    for run, data in zip((c, a), body["runs"], strict=True):
        pct = [p["pct"] for p in data["equity_pct"]]
        # Runs of 500 and 10,000 read on one scale: both went +50%, then their return.
        assert pct == pytest.approx([0.0, 50.0, run.metrics["total_return_pct"]])
        assert data["equity_pct"][0]["time"] == "2023-11-14T22:13:20Z"


@pytest.mark.parametrize(
    ("runs_param", "message"),
    [
        ("{a}", "pick 2 to 6 different runs (got 1)"),
        ("{a},{a}", "pick 2 to 6 different runs (got 1)"),
        ("1,2,3,4,5,6,7", "pick 2 to 6 different runs (got 7)"),
        ("{a},x", '"x" is not a run id'),
        ("", "must not be empty"),
    ],
)
def test_compare_refuses_bad_picks(user_client, runs, runs_param, message):
    r = user_client.get("/api/backtests/compare/", {"runs": runs_param.format(a=runs["a"].pk)})
    assert r.status_code == 400
    assert r.json() == {"runs": [message]}


def test_compare_names_foreign_unknown_and_unfinished_runs_without_leaking(user_client, runs):
    foreign = _run(UserFactory(), ret=1.0, sharpe=1.0, dd=1.0)
    a, q = runs["a"].pk, runs["q"].pk
    r = user_client.get(f"/api/backtests/compare/?runs={a},{foreign.pk},999999,{q}")
    assert r.status_code == 400
    assert r.json() == {
        "runs": [
            f"no such run: {foreign.pk}",
            "no such run: 999999",
            f"run {q} has no result to compare (queued)",
        ]
    }
    assert "sharpe" not in r.content.decode()


def test_compare_page_shows_both_runs(user, runs):
    from django.test import Client

    client = Client()
    client.force_login(user)
    a, b = runs["a"], runs["b"]
    page = client.get(f"/backtests/compare/?runs={a.pk}&runs={b.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="compare-chart"' in html and 'id="compare-data"' in html
    for text in ("Sharpe ratio", "+12.50%", "-4.00%", "10,000.00", f"#{b.pk}"):
        assert text in html
    assert page.context["chart"][1]["points"][2] == [1_700_007_200, pytest.approx(-4.0)]
    assert client.get(f"/backtests/compare/?runs={a.pk}").status_code == 400
