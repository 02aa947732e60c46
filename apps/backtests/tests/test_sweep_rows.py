"""Sweeps that lead somewhere: grids by parameter name and by either path spelling, the
form's default grid, a row's full result (a run of exactly that combination, reused when
it exists), a row saved as a new strategy version, the stitched walk-forward equity, and
the 400/404 rules, through the API and the pages."""

from __future__ import annotations

import html
import json
import re

import pytest

from apps.backtests.models import BacktestRun, Sweep
from apps.strategies.models import Strategy
from engine.tests.test_strategy import SHAPE_A, SHAPE_B
from engine.tests.test_strategy_params import TIED

pytestmark = pytest.mark.django_db(transaction=True)

TIED = {**TIED, "strategy_name": "EMA cross, tied"}


def _strategy(client, definition=TIED, name=None) -> int:
    r = client.post(
        "/api/strategies/",
        {"strategy_json": definition, **({"name": name} if name else {})},
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()["id"]


def _sweep(client, **payload) -> dict:
    r = client.post("/api/backtests/sweeps/", payload, format="json")
    assert r.status_code == 202, r.json()
    return client.get(r.json()["url"]).json()


def test_a_sweep_by_name_runs_the_tied_strategy_and_a_row_opens_its_exact_result(
    user_client, btc_candles
):
    sid = _strategy(user_client)
    sweep = _sweep(
        user_client, strategy=str(sid), grid={"slow": [20, 30], "fast": [8, 12]}, metric="sharpe"
    )
    assert sweep["status"] == "succeeded" and sweep["grid"] == {"slow": [20, 30], "fast": [8, 12]}
    assert all(r["metrics"] is not None for r in sweep["results"]), sweep["results"]
    best = sweep["results"][0]
    url = f"/api/backtests/sweeps/{sweep['id']}/rows/{best['combo']}/backtest/"
    opened = user_client.post(url)
    assert opened.status_code == 202 and opened["Location"] == opened.json()["url"]
    run = BacktestRun.objects.get(pk=opened.json()["id"])
    # A run of exactly that combination: the same numbers as its row, with its trades.
    assert run.status == "succeeded" and run.metrics == best["metrics"]
    cond = run.strategy_definition["entry_conditions"][0]
    assert cond["params"]["period"] == best["params"]["fast"]
    assert cond["condition"] == f"crosses_above ema({best['params']['slow']})"
    assert run.strategy_id == sid and user_client.get(f"/api/backtests/{run.pk}/trades/").json()
    # Asked again, the identical run is reused.
    again = user_client.post(url)
    assert again.status_code == 200 and again.json()["id"] == run.pk
    # A combination other than the saved version belongs to the strategy, not its version;
    # the combination that is the saved version points at it.
    changed = next(r for r in sweep["results"] if r["params"] == {"slow": 30, "fast": 12})
    other = user_client.post(
        f"/api/backtests/sweeps/{sweep['id']}/rows/{changed['combo']}/backtest/"
    )
    assert BacktestRun.objects.get(pk=other.json()["id"]).strategy_version_id is None
    same = _sweep(user_client, strategy=str(sid), grid={"slow": [26], "fast": [12]})
    as_saved = user_client.post(f"/api/backtests/sweeps/{same['id']}/rows/0/backtest/").json()
    version = Strategy.objects.get(pk=sid).current_version
    assert BacktestRun.objects.get(pk=as_saved["id"]).strategy_version_id == version.pk


def test_a_row_saved_as_a_new_version_keeps_the_ties(user_client, btc_candles):
    sid = _strategy(user_client)
    sweep = _sweep(user_client, strategy=str(sid), grid={"slow": [20, 30]})
    row = next(r for r in sweep["results"] if r["params"] == {"slow": 30})
    url = f"/api/backtests/sweeps/{sweep['id']}/rows/{row['combo']}/save/"
    saved = user_client.post(url)
    assert saved.status_code == 201, saved.json()
    body = saved.json()
    assert body["version"] == 2
    assert body["strategy_json"]["params"]["slow"] == {"default": 30, "min": 10, "max": 60}
    assert body["strategy_json"]["exit_conditions"][0]["condition"] == "crosses_below ema(${slow})"
    assert body["normalized"]["exit_conditions"][0]["condition"] == "crosses_below ema(30)"
    versions = Strategy.objects.get(pk=sid).versions.order_by("number")
    assert [v.number for v in versions] == [1, 2]
    # The same values again: the current version already is that, nothing is added.
    again = user_client.post(url)
    assert again.status_code == 200 and again.json()["version"] == 2
    # A path row is saved by setting the path.
    by_path = _sweep(user_client, strategy=str(sid), grid={"entry_conditions.0.params.period": [9]})
    assert by_path["grid"] == {"entry_conditions[0].params.period": [9]}
    saved = user_client.post(f"/api/backtests/sweeps/{by_path['id']}/rows/0/save/").json()
    assert saved["version"] == 3
    assert saved["strategy_json"]["entry_conditions"][0]["params"]["period"] == 9
    assert saved["strategy_json"]["exit_conditions"][0]["params"]["period"] == "${fast}"


def test_row_rules_400_and_404(user_client, other_user, client_for, btc_candles):
    inline = _sweep(user_client, strategy_json=SHAPE_A, grid={"indicators.rsi.period": [7, 14]})
    no_strategy = user_client.post(f"/api/backtests/sweeps/{inline['id']}/rows/0/save/")
    assert no_strategy.status_code == 400 and "strategy" in no_strategy.json()
    # Each value alone is one the strategy accepts; together they are not (buy >= sell).
    failed = _sweep(
        user_client,
        strategy_json=SHAPE_A,
        grid={"indicators.rsi.buy_below": [60], "indicators.rsi.sell_above": [50]},
    )
    assert failed["results"][0]["metrics"] is None
    for action in ("backtest", "save"):
        r = user_client.post(f"/api/backtests/sweeps/{failed['id']}/rows/0/{action}/")
        assert r.status_code == 400, r.json()
        assert ("row" if action == "backtest" else "strategy") in r.json()
    # No such row; another user's sweep.
    assert (
        user_client.post(f"/api/backtests/sweeps/{inline['id']}/rows/99/backtest/").status_code
        == 404
    )
    other = client_for(other_user)
    for action in ("backtest", "save"):
        assert (
            other.post(f"/api/backtests/sweeps/{inline['id']}/rows/0/{action}/").status_code == 404
        )
    assert other.post(f"/backtests/sweeps/{inline['id']}/rows/0/open/").status_code in (302, 404)


def test_grid_errors_name_the_parameter(user_client, btc_candles):
    sid = _strategy(user_client)
    for grid, field, says in [
        ({"slw": [20]}, "grid.slw", "no parameter 'slw'"),
        ({"slow": [5]}, "grid.slow", "below its min 10"),
        (
            {"entry_conditions.3.params.period": [5]},
            "grid.entry_conditions.3.params.period",
            "no such field",
        ),
    ]:
        r = user_client.post(
            "/api/backtests/sweeps/", {"strategy": str(sid), "grid": grid}, format="json"
        )
        assert r.status_code == 400 and says in r.json()[field][0], r.json()


def test_walk_forward_keeps_a_stitched_out_of_sample_equity(client, user, user_client, btc_candles):
    sid = _strategy(user_client)
    sweep = _sweep(user_client, strategy=str(sid), grid={"slow": [20, 30]}, walk_forward_windows=3)
    wf = sweep["walk_forward"]
    times = wf["equity"]["time_epoch_s"]  # epoch seconds, like every chart column
    assert times == sorted(times) and len(times) > 10
    stored = Sweep.objects.get(pk=sweep["id"]).walk_forward["equity"]  # epoch ms
    assert times == [t // 1000 for t, _ in stored] and 1.5e9 < times[0] < 2e9
    assert len(wf["equity"]["equity"]) == len(times)
    assert wf["equity"]["equity"][-1] == pytest.approx(wf["stitched"]["final_balance"], abs=0.01)
    assert (
        user_client.get("/api/backtests/sweeps/").json()["results"][0]["walk_forward"]["equity"][
            "time_epoch_s"
        ]
        == times
    )
    client.force_login(user)
    page = client.get(f"/backtests/sweeps/{sweep['id']}/").content.decode()
    assert 'id="walk-forward-equity"' in page and 'id="walk-forward-data"' in page
    assert "js/backtests/walkforward.js" in page
    assert "<code>slow</code> = " in page and "{&#x27;" not in page


def test_pages_default_grid_open_and_save(client, user, user_client, btc_candles):
    """The form's default grid runs for an entry/exit-condition strategy (the old default,
    an RSI threshold path, failed there); heatmap cells and rows open their combination;
    a row is saved as a version and the strategy page lists it."""
    sid = _strategy(user_client, SHAPE_B, name="conditions")
    client.force_login(user)
    form = client.get(f"/backtests/sweeps/new/?strategy={sid}").content.decode()
    grid = json.loads(html.unescape(re.search(r'id="id_grid"[^>]*>([^<]*)<', form).group(1)))
    assert grid and all(not k.startswith("indicators.") for k in grid), grid
    offers = json.loads(re.search(r'id="sweep-offers"[^>]*>(.*?)</script>', form).group(1))
    assert offers[str(sid)]["grid"] == grid
    r = client.post(
        "/backtests/sweeps/new/",
        {
            "strategy": sid,
            "initial_balance": 10000,
            "fee_rate": 0.001,
            "slippage_bps": 0,
            "fill": "next_open",
            "grid": json.dumps(grid),
            "metric": "sharpe",
            "walk_forward_windows": 0,
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    sweep = Sweep.objects.get(pk=int(r["Location"].rstrip("/").rsplit("/", 1)[-1]))
    assert sweep.status == "succeeded"
    assert all(res.metrics is not None for res in sweep.results.all())
    page = client.get(r["Location"]).content.decode()
    # Ranked by Sharpe: its column once, not "sharpe" and "Sharpe".
    head = re.search(r'id="sweep-results">\s*<thead>(.*?)</thead>', page, re.S).group(1)
    assert head.lower().count("sharpe") == 1
    cells = re.findall(rf'action="/backtests/sweeps/{sweep.pk}/rows/(\d+)/open/"', page)
    assert len(set(cells)) == sweep.combinations  # every heatmap cell and row opens one
    opened = client.post(f"/backtests/sweeps/{sweep.pk}/rows/{cells[0]}/open/")
    assert opened.status_code == 302 and re.match(r"^/backtests/\d+/$", opened["Location"])
    run = BacktestRun.objects.get(pk=int(opened["Location"].strip("/").rsplit("/", 1)[-1]))
    assert run.metrics == sweep.results.get(combo=int(cells[0])).metrics
    saved = client.post(f"/backtests/sweeps/{sweep.pk}/rows/{cells[0]}/save/", follow=True)
    assert saved.redirect_chain[-1][0] == f"/strategies/{sid}/"
    text = saved.content.decode()
    assert "Saved as version 2" in text and re.search(r'<td class="num">2</td>', text)


def test_the_sweep_form_accepts_an_older_strategy_beyond_the_suggestions(
    client, user, user_client, monkeypatch
):
    """Every strategy is a choice; suggestions are limited to the newest ones plus the one
    asked for (an older strategy's "Sweep its parameters" was "Select a valid choice")."""
    from apps.backtests import views

    monkeypatch.setattr(views, "SWEEP_OFFERS", 1)
    oldest, middle, newest = (_strategy(user_client, name=f"s{i}") for i in range(3))
    client.force_login(user)
    form = client.get(f"/backtests/sweeps/new/?strategy={oldest}").content.decode()
    for sid in (oldest, middle, newest):
        assert f'<option value="{sid}"' in form
    offers = json.loads(re.search(r'id="sweep-offers"[^>]*>(.*?)</script>', form).group(1))
    assert set(offers) == {str(oldest), str(newest)}
    r = client.post(
        "/backtests/sweeps/new/",
        {
            "strategy": oldest,
            "initial_balance": 10000,
            "fee_rate": 0.001,
            "slippage_bps": 0,
            "fill": "next_open",
            "grid": "{not json",
            "metric": "sharpe",
            "walk_forward_windows": 0,
        },
    )
    page = r.content.decode()
    assert r.status_code == 200 and "not valid JSON" in page
    assert "Select a valid choice" not in page


def test_a_row_of_a_market_since_deleted_is_refused_not_queued(user_client, btc_candles):
    from apps.marketdata.models import Symbol

    sid = _strategy(user_client)
    sweep = _sweep(user_client, strategy=str(sid), grid={"slow": [20, 30]})
    Symbol.objects.filter(name="BTCUSDT").delete()
    r = user_client.post(f"/api/backtests/sweeps/{sweep['id']}/rows/0/backtest/")
    assert r.status_code == 400 and "symbol" in r.json(), r.json()
    assert not BacktestRun.objects.exists()
