"""The engine's CLI in a subprocess, and the purity rule: no Django, Celery or apps."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BTC = ROOT / "data" / "demo" / "BTCUSDT-1h-2020-08_2021-06.csv"
SHAPE_A = {
    "symbol": "BTCUSDT",
    "indicators": {
        "rsi": {"period": 14, "buy_below": 30, "sell_above": 70},
        "ema": {"period": 20, "buy_crosses_above": True, "sell_crosses_below": True},
    },
}


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def python(code):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_backtest_prints_trades_and_metrics(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SHAPE_A))
    out = run("backtest", "--candles", str(BTC), "--strategy", str(path), "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["metrics"]["num_trades"] == len(body["trades"]) > 10
    assert (
        body["trades"][0]["entry_time"].endswith("Z") and body["assumptions"]["fill"] == "next_open"
    )
    text = run(
        "backtest",
        "--candles",
        str(BTC),
        "--strategy",
        str(path),
        "--fill",
        "close",
        "--slippage-bps",
        "5",
    )
    assert text.returncode == 0 and "total_return_pct" in text.stdout


def test_malformed_strategy_prints_field_errors_and_exits_non_zero(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "symbol": "BTCUSDT",
                "entry_conditions": [{"indicator": "close", "condition": "> emma(5)"}],
            }
        )
    )
    out = run("backtest", "--candles", str(BTC), "--strategy", str(path))
    assert (
        out.returncode == 2
        and "entry_conditions[0].condition: unknown indicator 'emma'" in out.stderr
    )
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_bytes(b"\x00\x01")
    assert run("backtest", "--candles", str(bad_csv), "--strategy", str(path)).returncode == 2


def test_named_params_are_set_from_the_command_line(tmp_path):
    from engine.tests.test_strategy_params import TIED

    path = tmp_path / "tied.json"
    path.write_text(json.dumps(TIED))

    def trades(*extra):
        out = run("backtest", "--candles", str(BTC), "--strategy", str(path), "--json", *extra)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["metrics"]["num_trades"]

    assert trades() == trades("--param", "slow=26") != trades("--param", "slow=40")
    bad = run("backtest", "--candles", str(BTC), "--strategy", str(path), "--param", "slow=90")
    assert bad.returncode == 2 and "params.slow: slow = 90 is above its max 60" in bad.stderr
    odd = run("backtest", "--candles", str(BTC), "--strategy", str(path), "--param", "slow")
    assert odd.returncode == 2 and "params.slow: write --param NAME=VALUE" in odd.stderr


def test_indicators_command():
    out = run(
        "indicators",
        "--candles",
        str(BTC),
        "--spec",
        "rsi:14,ema:20,macd:12:26:9",
        "--json",
        "--tail",
        "5",
    )
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert len(body["time"]) == 5 and set(body) >= {
        "rsi(14)",
        "ema(20)",
        "macd(12,26,9)",
        "macd(12,26,9).signal",
    }
    assert run("indicators", "--candles", str(BTC), "--spec", "emma:3").returncode == 2


def test_engine_imports_no_web_layer():
    code = (
        "import sys, engine, engine.backtest, engine.strategy, engine.indicators, engine.ml, engine.marketdata, engine.cli;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('django','rest_framework','celery','apps','tradingsite')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = python(code)
    assert out.returncode == 0, out.stdout + out.stderr


def test_indicators_import_nothing_of_the_strategy_language():
    # The strategy grammar builds on the indicators; the reverse arrow would be a loop.
    code = (
        "import sys, engine.indicators as i; i.parse_spec('rsi:14,macd:12:26:9');"
        "bad=[m for m in sys.modules if m.startswith('engine.strategy')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = python(code)
    assert out.returncode == 0, out.stdout + out.stderr
    pattern = re.compile(
        r"^\s*(from|import)\s+(engine\.strategy|\.\.strategy|engine\s+import\s+strategy)\b", re.M
    )
    for path in (ROOT / "engine" / "indicators").rglob("*.py"):
        assert not pattern.search(path.read_text()), path


def test_no_forbidden_import_or_eval_in_engine_source():
    pattern = re.compile(
        r"^\s*(from|import)\s+(django|rest_framework|celery|apps|tradingsite)\b", re.M
    )
    evals = re.compile(r"(^|[^_a-zA-Z.])(eval|exec)\(|\.query\(|\.eval\(")
    for path in (ROOT / "engine").rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text()
        assert not pattern.search(text), path
        assert not evals.search(text), path
