"""Sweeps that lead somewhere, in a real browser at desktop and phone widths.

Sign in -> the sweep form of a strategy with named, tied parameters (it lists them and
starts from their default grid) -> run the sweep on the worker -> click a heatmap cell ->
the full result of exactly that combination -> back -> save a row as a new version ->
the strategy page lists it. Watched for console errors, CSP violations and HTTP errors,
and every page must fit the window (tests/browser/conftest.py).
"""

from __future__ import annotations

import json
import re

import pytest

from engine.tests.test_strategy_params import TIED

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PASSWORD = "sweeper-pass-2024"
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.fixture
def sweeper(django_user_model):
    return django_user_model.objects.create_user(username="sweeper", password=PASSWORD)


def _sign_in(page, live_server) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "sweeper")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(live_server.url + "/")
    page.wait_for_load_state("networkidle")  # the dashboard's own fetches, not aborted


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_sweep_cell_opens_its_result_and_a_row_saves_a_version(
    width, celery_worker, sweeper, btc_candles, live_server, page, shots
):
    from apps.backtests.models import BacktestRun, Sweep
    from apps.strategies.services import strategy_create

    strategy = strategy_create(
        owner=sweeper, definition={**TIED, "strategy_name": "Tied EMA cross"}
    )
    w, h = VIEWPORTS[width]
    page.set_viewport_size({"width": w, "height": h})

    _sign_in(page, live_server)

    # --- the form offers the strategy's named parameters and a grid over them ------------
    page.goto(f"/backtests/sweeps/new/?strategy={strategy.pk}")
    rows = page.locator("#sweep-param-table tbody tr")
    assert rows.count() == 2
    assert [rows.nth(i).locator("code").inner_text() for i in range(2)] == ["fast", "slow"]
    grid = json.loads(page.input_value("#id_grid"))
    assert list(grid) == ["fast", "slow"] and all(10 <= v <= 60 for v in grid["slow"])
    # "Use" puts a parameter's suggested values into the grid.
    page.fill("#id_grid", json.dumps({"slow": grid["slow"]}))
    page.click("#sweep-param-table button[data-param=fast]")
    assert json.loads(page.input_value("#id_grid")) == {"slow": grid["slow"], "fast": grid["fast"]}
    page.select_option("#id_metric", "sharpe")
    shots(page, f"{width} sweep form")
    page.click("#sweep-form button[type=submit]")
    page.wait_for_url(re.compile(r"/backtests/sweeps/\d+/$"))
    sweep_url = page.url
    page.wait_for_selector("#heatmap", timeout=180_000)  # the page reloads when it is done
    page.wait_for_load_state("networkidle")
    sweep = Sweep.objects.get(pk=int(sweep_url.rstrip("/").rsplit("/", 1)[-1]))
    assert sweep.status == "succeeded" and sweep.completed == len(grid["slow"]) * len(grid["fast"])
    head = page.locator("#sweep-results thead").inner_text().lower()
    assert head.count("sharpe") == 1, head  # ranked by Sharpe: one column, not two
    shots(page, f"{width} sweep result")

    # --- a heatmap cell opens the full result of exactly that combination ----------------
    cell = page.locator("#heatmap .heat-open").nth(3)
    combo = int(cell.get_attribute("data-combo"))
    cell.click()
    page.wait_for_url(re.compile(r"/backtests/\d+/$"))
    page.wait_for_selector("#headline", timeout=120_000)
    page.wait_for_load_state("networkidle")
    run = BacktestRun.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[-1]))
    row = sweep.results.get(combo=combo)
    assert run.status == "succeeded" and run.metrics == row.metrics
    slow = row.params["slow"]
    assert (
        run.strategy_definition["entry_conditions"][0]["condition"] == f"crosses_above ema({slow})"
    )
    shots(page, f"{width} combination result")

    # --- back to the sweep; save the best row as a new version ---------------------------
    page.go_back()
    page.wait_for_url(sweep_url)
    page.wait_for_selector("#sweep-results")
    best = page.locator("#sweep-results tbody tr").first
    best_combo = int(best.get_attribute("data-combo"))
    best.locator("button[data-row-save]").click()
    page.wait_for_url(re.compile(rf"/strategies/{strategy.pk}/$"))
    assert "Saved as version 2" in page.locator("body").inner_text()
    versions = page.locator("#versions tbody tr")
    assert versions.count() == 2 and versions.first.locator("td").first.inner_text() == "2"
    strategy.refresh_from_db()
    saved = sweep.results.get(combo=best_combo).params
    assert strategy.version == 2
    assert strategy.definition["params"]["fast"] == saved["fast"]
    assert strategy.definition["params"]["slow"]["default"] == saved["slow"]
    assert strategy.definition["exit_conditions"][0]["condition"] == "crosses_below ema(${slow})"
    shots(page, f"{width} strategy with the new version")


def test_walk_forward_draws_the_stitched_out_of_sample_equity(
    celery_worker, sweeper, btc_candles, live_server, page, shots
):
    from apps.backtests.models import Sweep
    from apps.backtests.services import sweep_create
    from apps.strategies.services import strategy_create

    strategy = strategy_create(owner=sweeper, definition=TIED)
    sweep = sweep_create(
        owner=sweeper, strategy=strategy.pk, grid={"slow": [20, 30]}, walk_forward_windows=3
    )
    _sign_in(page, live_server)
    page.goto(f"/backtests/sweeps/{sweep.pk}/")
    page.wait_for_selector("#walk-forward-equity[data-drawn]", timeout=180_000)
    page.wait_for_load_state("networkidle")
    sweep = Sweep.objects.get(pk=sweep.pk)
    assert int(page.get_attribute("#walk-forward-equity", "data-drawn")) == len(
        {t // 1000 for t, _ in sweep.walk_forward["equity"]}
    )
    assert page.get_attribute("#walk-forward-equity", "data-windows") == "3"
    assert page.locator("#walk-forward-equity canvas").count() > 0
    # Drawn by the site's equity chart: one series, read out as % from the stitched start.
    assert page.get_attribute("#walk-forward-equity", "data-series") == "1"
    values = [v for _, v in sweep.walk_forward["equity"] if v is not None]
    readout = page.locator("[data-key='out-of-sample equity'] .v").inner_text()
    assert readout == f"{(values[-1] / values[0] - 1) * 100:+.2f}%".replace("+0.00%", "0.00%")
    assert page.locator("#walk-forward tbody tr").count() == 3
    assert "{'" not in page.locator("#walk-forward").inner_text()
    shots(page, "walk-forward stitched equity")
