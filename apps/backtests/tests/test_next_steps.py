"""A result page leads somewhere: re-run, clone its strategy, sweep, make an agent, delete;
a strategy's page lists its backtests; a model's page offers "use in an agent"; the API
docs lead back to the app. Jobs run inline here (the embedded default)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from apps.backtests.models import BacktestRun, BacktestTradeTable
from apps.backtests.services import backtest_create, backtest_rerun
from apps.strategies.models import Strategy
from apps.strategies.services import strategy_copy, strategy_create, strategy_update
from engine.backtest import BacktestConfig

pytestmark = pytest.mark.django_db

DEFINITION = {
    "strategy_name": "Dip",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "entry_conditions": [{"indicator": "rsi", "params": {"period": 14}, "condition": "< 35"}],
    "exit_conditions": [{"indicator": "rsi", "condition": "> 65"}],
    "risk": {"stop_loss_pct": 3, "take_profit_pct": 6},
}


@pytest.fixture
def run(user, btc_candles, django_capture_on_commit_callbacks):
    strategy = strategy_create(owner=user, definition=DEFINITION, name="Dip")
    with django_capture_on_commit_callbacks(execute=True):  # the job runs on commit
        run = backtest_create(
            owner=user,
            strategy=strategy.pk,
            end=datetime(2021, 1, 1, tzinfo=UTC),
            config=BacktestConfig(slippage_bps=3.0, fee_rate=0.002),
        )
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return run


def test_the_result_page_offers_every_next_step(client, user, run):
    client.force_login(user)
    html = client.get(f"/backtests/{run.pk}/").content.decode()
    for action in ("rerun", "clone", "delete"):
        assert f'action="/backtests/{run.pk}/{action}/"' in html, action
    assert f'href="/backtests/sweeps/new/?strategy={run.strategy_id}"' in html
    assert f"/agents/?symbol=BTCUSDT&amp;strategy={run.strategy_id}#agent-form" in html
    assert 'data-confirm="Delete backtest' in html


def test_rerun_repeats_the_exact_run_even_after_the_strategy_changed(
    client, user, run, django_capture_on_commit_callbacks
):
    strategy_update(
        strategy=run.strategy,
        definition={**DEFINITION, "risk": {"stop_loss_pct": 9}},
        name="Dip",
    )
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/backtests/{run.pk}/rerun/")
    again = BacktestRun.objects.exclude(pk=run.pk).get()
    assert r.status_code == 302 and r["Location"] == f"/backtests/{again.pk}/"
    assert again.status == "succeeded"
    # The snapshot it ran, not the strategy's newer version; the same market and parameters.
    assert again.strategy_definition == run.strategy_definition
    assert again.strategy_version_id == run.strategy_version_id
    assert (again.symbol, again.interval, again.end) == (run.symbol, run.interval, run.end)
    assert (again.slippage_bps, again.fee_rate) == (3.0, 0.002)
    assert again.metrics == run.metrics


def test_rerun_of_a_snapshot_the_language_refuses_is_a_message_not_a_500(client, user, run):
    # A stored snapshot the language no longer accepts (here: an unknown indicator).
    broken = {**run.strategy_definition, "entry_conditions": [{"indicator": "nope"}]}
    BacktestRun.objects.filter(pk=run.pk).update(strategy_definition=broken)
    run.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        backtest_rerun(run=run)
    assert list(exc.value.message_dict) == ["strategy"]
    client.force_login(user)
    r = client.post(f"/backtests/{run.pk}/rerun/", follow=True)
    assert r.redirect_chain[-1][0] == f"/backtests/{run.pk}/"
    assert "Cannot re-run: " in r.content.decode()
    assert BacktestRun.objects.count() == 1


def test_clone_makes_a_new_strategy_from_the_runs_version(client, user, run):
    client.force_login(user)
    r = client.post(f"/backtests/{run.pk}/clone/")
    copy = Strategy.objects.get(owner=user, name="Dip (copy)")
    assert r.status_code == 302 and r["Location"] == f"/strategies/{copy.pk}/edit/"
    assert copy.definition == run.strategy_version.definition and copy.version == 1
    client.post(f"/backtests/{run.pk}/clone/")
    assert Strategy.objects.filter(owner=user, name="Dip (copy 2)").exists()


def test_strategy_copy_finds_a_free_name(user):
    strategy_create(owner=user, definition=DEFINITION, name="X (copy)")
    assert strategy_copy(owner=user, definition=DEFINITION, name="X").name == "X (copy 2)"


def test_delete_takes_the_run_and_its_trades_and_needs_a_post(client, user, run):
    client.force_login(user)
    assert client.get(f"/backtests/{run.pk}/delete/").status_code == 405
    r = client.post(f"/backtests/{run.pk}/delete/", follow=True)
    assert r.redirect_chain[-1][0] == "/backtests/"
    assert f"Deleted backtest #{run.pk} and its trades." in r.content.decode()
    assert not BacktestRun.objects.filter(pk=run.pk).exists()
    assert not BacktestTradeTable.objects.filter(run_id=run.pk).exists()
    assert client.get(f"/backtests/{run.pk}/").status_code == 404


def test_another_users_run_is_a_404_for_every_next_step(client, other_user, run):
    client.force_login(other_user)
    for action in ("rerun", "clone", "delete"):
        assert client.post(f"/backtests/{run.pk}/{action}/").status_code == 404, action
    assert BacktestRun.objects.filter(pk=run.pk).exists()
    assert not Strategy.objects.filter(owner=other_user).exists()


def test_a_strategy_page_lists_its_backtests(client, user, run):
    client.force_login(user)
    html = client.get(f"/strategies/{run.strategy_id}/").content.decode()
    table = html[html.index('id="strategy-backtests"') :]
    assert f'href="/backtests/{run.pk}/"' in table
    assert f"{run.metrics['total_return_pct']:+.2f}%" in table


def test_the_agent_form_arrives_filled_in(client, user, run):
    client.force_login(user)
    html = client.get(f"/agents/?symbol=BTCUSDT&strategy={run.strategy_id}").content.decode()
    assert 'id="a-symbol" name="symbol" value="BTCUSDT"' in html
    assert f'<option value="{run.strategy_id}" selected>' in html


def test_the_api_docs_lead_back_to_the_app(client, user):
    client.force_login(user)
    html = client.get("/api/docs/").content.decode()
    assert 'id="api-back"' in html and 'href="/">← Back to the app</a>' in html
