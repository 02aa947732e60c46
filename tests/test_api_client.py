"""A client generated from the OpenAPI schema by a standard generator drives the SPA flow.

openapi-python-client (requirements-dev.txt) builds a Python client from
`manage.py spectacular` output into a temporary directory (nothing generated is kept): the
generation must give no warning (it used to drop all 44 error responses over the
`ValidationError` component's untyped array, and gave `metrics` as a plain dict). Then,
against a live server, the client does what a single-page app does: sign in for a token,
list and create strategies, queue a backtest, poll it to the end and page through its
trades, with typed metrics and typed errors.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from engine.tests.test_strategy import SHAPE_A

PACKAGE = "tradingsite_api_client"
POLLS = 50  # jobs run inline in the test settings: the first poll already sees the end


@pytest.fixture(scope="module")
def generated(tmp_path_factory, django_db_setup, django_db_blocker):
    """The client package generated from the schema, imported; its generator's output."""
    root = tmp_path_factory.mktemp("client")
    schema = root / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the output is only imported
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    sys.path.insert(0, str(root))
    try:
        yield run, importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def open_client(live_server):
    """Makes the generated clients for the live server; closes them after the test (their
    keep-alive connections would otherwise outlive it)."""
    opened = []

    def make(cls, **kwargs):
        client = cls(base_url=live_server.url, **kwargs).__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_client_generates_without_warnings_and_with_typed_metrics_and_errors(generated):
    run, package = generated
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output, output
    models = _module("models")
    # metrics and assumptions are classes with typed attributes, not dicts.
    annotations = models.BacktestRunOutput.__annotations__
    assert "BacktestMetrics" in str(annotations["metrics"])
    assert "BacktestAssumptions" in str(annotations["assumptions"])
    assert "NormalizedStrategy" in str(models.StrategyOutput.__annotations__["normalized"])
    metrics = models.BacktestMetrics.__annotations__
    assert "float" in str(metrics["sharpe"]) and "str" in str(metrics["final_balance"])
    # Each operation's errors are parsed into the error models, not dropped.
    create = Path(package.__file__).parent / "api" / "backtests" / "backtests_create.py"
    source = create.read_text()
    assert "ValidationError.from_dict" in source and "Error.from_dict" in source


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_drives_the_spa_flow(generated, open_client, btc_1h_path):
    from apps.accounts.tests.factories import UserFactory
    from apps.marketdata.services import candles_import

    _, package = generated
    assert candles_import(source=btc_1h_path, symbol="BTCUSDT", interval="1h").status == (
        "succeeded"
    )
    UserFactory(username="spa", password="spa-pass-2024")
    models = _module("models")
    auth = _module("api.auth.auth_token_create")
    strategies_list = _module("api.strategies.strategies_list")
    strategies_create = _module("api.strategies.strategies_create")
    backtests_create = _module("api.backtests.backtests_create")
    backtests_retrieve = _module("api.backtests.backtests_retrieve")
    trades_list = _module("api.backtests.backtests_trades_list")
    anonymous = open_client(package.Client)
    refused = auth.sync(
        client=anonymous, body=models.TokenCreateInputRequest(username="spa", password="no")
    )
    assert isinstance(refused, models.ValidationError) and refused.non_field_errors
    token = auth.sync(
        client=anonymous,
        body=models.TokenCreateInputRequest(username="spa", password="spa-pass-2024"),
    )
    assert isinstance(token, models.TokenCreateOutput)
    client = open_client(package.AuthenticatedClient, token=token.token, prefix="Token")

    assert strategies_list.sync(client=client).count == 0
    strategy = strategies_create.sync(
        client=client,
        body=models.StrategyInputRequest(
            strategy_json=models.StrategyInputRequestStrategyJson.from_dict(SHAPE_A),
            name="from the client",
        ),
    )
    assert isinstance(strategy, models.StrategyOutput) and strategy.seed_id.endswith(
        f"_strategy_{strategy.id}"
    )
    # The strategy's normalised form is typed too: conditions with their fields.
    assert isinstance(strategy.normalized, models.NormalizedStrategy)
    condition = strategy.normalized.entry_conditions[0]
    assert isinstance(condition, models.Condition) and condition.indicator and condition.condition
    listed = strategies_list.sync(client=client, ordering=models.StrategiesListOrdering("-name"))
    assert [s.id for s in listed.results] == [strategy.id]

    # A bad request answers a typed error naming every field.
    bad = backtests_create.sync_detailed(
        client=client,
        body=models.BacktestCreateInputRequest(strategy=strategy.id, fee_rate=0.5, slippage_bps=-1),
    )
    assert bad.status_code == 400 and isinstance(bad.parsed, models.ValidationError)
    assert {"fee_rate", "slippage_bps"} <= set(bad.parsed.additional_properties)

    queued = backtests_create.sync_detailed(
        client=client, body=models.BacktestCreateInputRequest(strategy=strategy.id)
    )
    assert queued.status_code == 202 and queued.headers["Location"] == queued.parsed.url
    run = queued.parsed
    for _ in range(POLLS):
        run = backtests_retrieve.sync(id=run.id, client=client)
        if run.status in ("succeeded", "failed", "cancelled"):
            break
    assert run.status == "succeeded", run.error
    assert run.strategy_id == strategy.id  # one id type: the integer id everywhere
    metrics = run.metrics
    assert isinstance(metrics, models.BacktestMetrics)
    assert isinstance(metrics.sharpe, float) and metrics.num_trades > 10
    assert Decimal(metrics.final_balance) > 0 and Decimal(run.initial_balance) == 10000
    assert run.assumptions.fill == models.FillEnum("next_open")

    trades, page = [], 1
    while True:
        answer = trades_list.sync(id=run.id, client=client, page=page, page_size=25)
        trades += answer.results
        if not answer.next_:
            break
        page += 1
    assert len(trades) == metrics.num_trades and [t.seq for t in trades] == list(range(len(trades)))
    first = trades[0]
    assert Decimal(first.entry_price) > 0 and first.entry_time.tzinfo is not None
    total = sum(Decimal(t.pnl) for t in trades)
    assert abs(Decimal(metrics.final_balance) - 10000 - total) < Decimal("0.01")

    missing = trades_list.sync_detailed(id=run.id + 1000, client=client)
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Error)
