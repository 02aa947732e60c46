"""How a number, a time or a value reads on a page: one place for every template and view.

Pages never show a Python repr (``None``, ``False``, ``{'...'}``), a float's binary tail
(``409.35522000000003``) or a time without its zone. Each function takes what the models,
selectors and the engine hand out (Decimal, float, int, str, datetime, epoch s or ms, None)
and returns text; a missing value reads as an em dash. The template filters in
``apps/core/templatetags/fmt.py`` are these functions.

Metrics read through one table, ``METRICS``: a human label, the unit, a one-line definition
(shown as a tooltip) and the kind that picks the format, so "max_drawdown_duration_seconds
1440000" reads "Longest drawdown 16 days, 16 hours".
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Any

from engine.desk.clock import age_words

DASH = "—"
# Quote currencies whose amounts read with 2 places; others (BTC, ETH, BNB...) with 8.
FIAT_LIKE = frozenset(
    {"USD", "USDT", "USDC", "BUSD", "TUSD", "FDUSD", "DAI", "EUR", "GBP", "JPY", "TRY", "BRL"}
)
MAX_PLACES = 12


def to_decimal(x: Any) -> Decimal | None:
    """``x`` as a finite Decimal (a float through its shortest repr), or None."""
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, Decimal):
        return x if x.is_finite() else None
    # numpy's scalars too (np.float64 is a float whose repr is "np.float64(1.5)"; np.int64
    # is no int but an Integral): through the plain Python number.
    if isinstance(x, numbers.Integral):
        return Decimal(int(x))
    if isinstance(x, numbers.Real):
        v = float(x)
        return Decimal(repr(v)) if math.isfinite(v) else None
    if isinstance(x, str):
        try:
            d = Decimal(x.strip())
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


# Wide enough for any amount the product stores or computes (|x| < 1e20 with 12 places,
# the engine's floats up to 1e308 are refused as money long before): the default context's
# 28 digits made 1e20 with 8 places raise InvalidOperation.
_WIDE = Context(prec=400, rounding=ROUND_HALF_EVEN)


def rounded(d: Decimal, places: int) -> Decimal:
    """``d`` rounded half-even to ``places`` decimals, never a negative zero."""
    q = d.quantize(Decimal(1).scaleb(-places), context=_WIDE)
    return abs(q) if q == 0 else q


def num(x: Any, places: int = 2, *, signed: bool = False) -> str:
    """``x`` with thousands separators and exactly ``places`` decimals ("12,345.68")."""
    d = to_decimal(x)
    if d is None:
        return x if isinstance(x, str) and x else DASH
    places = max(0, min(int(places), MAX_PLACES))
    q = rounded(d, places)
    text = f"{q:,.{places}f}"
    return f"+{text}" if signed and q > 0 else text


def integer(x: Any) -> str:
    return num(x, 0)


def money(x: Any, currency: str = "", places: int | None = None) -> str:
    """An amount with separators and its currency: "12,345.68 USDT", "0.01234567 BTC",
    "10,362.26 BTC" (a coin's amount to 8 places, trailing zeros dropped down to 2)."""
    if to_decimal(x) is None:
        return DASH
    code = (currency or "").upper()
    if places is not None or not code or code in FIAT_LIKE:
        text = num(x, 2 if places is None else places)
    else:
        # A coin amount to its satoshi (8 places), without the zeros that say nothing:
        # "10,362.26 BTC", "0.01234568 BTC", never fewer than 2 places.
        text = num(x, 8)
        text = text[:-6] + text[-6:].rstrip("0")
    return f"{text} {code}" if code else text


def price(x: Any, precision: int | None = 2) -> str:
    """A price to its series' precision (ETHBTC 0.08912, BTCUSDT 64,123.50)."""
    return num(x, 2 if precision is None else precision)


def qty(x: Any, precision: int | None = 8) -> str:
    """A quantity to at most ``precision`` places, trailing zeros dropped ("1.23916322")."""
    d = to_decimal(x)
    if d is None:
        return DASH
    text = num(d, 8 if precision is None else precision)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def pct(x: Any, places: int = 2, *, signed: bool = False) -> str:
    """A value already in percent: 12.3456 -> "12.35%"."""
    if to_decimal(x) is None:
        return DASH
    return f"{num(x, places, signed=signed)}%"


def ratio_pct(x: Any, places: int = 1) -> str:
    """A ratio in [0, 1] as a percentage: 0.512 -> "51.2%"."""
    d = to_decimal(x)
    if d is None:
        return DASH
    return pct(d * 100, places)


def to_datetime(x: Any) -> datetime | None:
    """A datetime (naive = UTC), a date, an ISO string or epoch seconds/milliseconds."""
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, datetime):
        return x if x.tzinfo else x.replace(tzinfo=UTC)
    if isinstance(x, date):
        return datetime(x.year, x.month, x.day, tzinfo=UTC)
    if isinstance(x, numbers.Real | Decimal):
        v = float(x)
        if not math.isfinite(v):
            return None
        if abs(v) >= 1e11:  # milliseconds (1e11 s is the year 5138)
            v /= 1000.0
        try:
            return datetime.fromtimestamp(v, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(x, str):
        try:
            return to_datetime(datetime.fromisoformat(x.strip().replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def when(x: Any, tz: Any = None, *, seconds: bool | None = None) -> str:
    """One style for every time on a page: "2025-08-15 07:00 UTC" (seconds when not :00).

    ``tz`` (a tzinfo) shows it in the user's zone; the zone's abbreviation is always there.
    """
    dt = to_datetime(x)
    if dt is None:
        return DASH
    dt = dt.astimezone(tz or UTC)
    with_seconds = (dt.second or dt.microsecond) if seconds is None else seconds
    text = dt.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")
    return f"{text} {dt.tzname() or 'UTC'}"


def day(x: Any) -> str:
    """A date alone, same style: "2025-08-15"."""
    dt = to_datetime(x)
    return DASH if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%d")


def duration(x: Any) -> str:
    """Seconds (or a timedelta) in words, the desk clock's style: "16 days, 16 hours",
    "45 minutes"; under a minute, the seconds."""
    if isinstance(x, timedelta):
        x = x.total_seconds()
    d = to_decimal(x)
    if d is None:
        return DASH
    seconds = abs(d)
    if seconds >= 60:
        return age_words(timedelta(seconds=int(seconds)))
    if seconds == 0:
        return "0 seconds"
    if seconds < 1:
        return "under a second"
    n = int(seconds)
    return f"{n} second{'' if n == 1 else 's'}"


def plain(x: Any) -> str:
    """Any value as readable text: no ``None``/``True``/``{'...'}`` reprs on a page."""
    if x is None or (isinstance(x, str) and x == ""):
        return DASH
    if isinstance(x, bool) or getattr(getattr(x, "dtype", None), "kind", "") == "b":
        return "yes" if x else "no"
    if isinstance(x, datetime | date):
        return when(x)
    if isinstance(x, numbers.Integral):
        return integer(x)
    if isinstance(x, numbers.Real | Decimal):
        return auto_number(x)
    if isinstance(x, Mapping):
        return ", ".join(f"{label(k)}: {metric_value(v, k)}" for k, v in x.items()) or DASH
    if isinstance(x, list | tuple | set | frozenset):
        return ", ".join(plain(v) for v in x) or DASH
    return str(x)


def auto_number(x: Any, significant: int = 6) -> str:
    """A float with no binary tail: separators, up to ``significant`` significant digits."""
    d = to_decimal(x)
    if d is None:
        return DASH
    if d == d.to_integral_value():
        return num(d, 0)
    exponent = d.adjusted()  # 409.355 -> 2
    places = max(0, min(MAX_PLACES, significant - 1 - exponent))
    text = num(d, places)
    return text.rstrip("0").rstrip(".") if "." in text else text


def label(key: Any) -> str:
    """A snake_case key as words ("max_stale_bars" -> "Max stale bars"); metric keys use
    their table label."""
    key = str(key)
    if key in METRICS:
        return METRICS[key].label
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Metric:
    label: str
    kind: str  # pct | signed_pct | ratio | money | count | bars | seconds | number
    help: str


METRICS: dict[str, Metric] = {
    # backtests (engine.backtest.metrics)
    "final_balance": Metric("Final balance", "money", "Cash plus open positions at the last bar."),
    "total_return_pct": Metric(
        "Total return", "signed_pct", "Final balance over initial cash, minus one."
    ),
    "buy_and_hold_return_pct": Metric(
        "Buy & hold return",
        "signed_pct",
        "Buying at the first simulated bar's open and holding to the last close.",
    ),
    "cagr_pct": Metric("CAGR", "signed_pct", "Compound annual growth rate of the equity."),
    "max_drawdown_pct": Metric(
        "Max drawdown", "pct", "Largest fall of equity from a previous peak, in percent."
    ),
    "max_drawdown_duration_bars": Metric(
        "Longest drawdown (bars)", "bars", "Most bars spent below a previous equity peak."
    ),
    "max_drawdown_duration_seconds": Metric(
        "Longest drawdown", "seconds", "Longest time spent below a previous equity peak."
    ),
    "sharpe": Metric(
        "Sharpe ratio",
        "number",
        "Mean bar return over its standard deviation, annualised (risk-free rate 0).",
    ),
    "sortino": Metric(
        "Sortino ratio",
        "number",
        "Mean bar return over the deviation of losing bars only, annualised.",
    ),
    "calmar": Metric("Calmar ratio", "number", "CAGR over max drawdown."),
    "num_trades": Metric("Trades", "count", "Closed round trips."),
    "win_rate_pct": Metric("Win rate", "pct", "Share of closed trades with a positive P&L."),
    "profit_factor": Metric(
        "Profit factor", "number", "Gross profit over gross loss of closed trades."
    ),
    "expectancy": Metric("Expectancy", "money", "Mean P&L per closed trade, after fees."),
    "avg_trade_return_pct": Metric(
        "Average trade", "signed_pct", "Mean return of a closed trade, after fees."
    ),
    "best_trade_pct": Metric("Best trade", "signed_pct", "Highest return of a closed trade."),
    "worst_trade_pct": Metric("Worst trade", "signed_pct", "Lowest return of a closed trade."),
    "exposure_pct": Metric("Time in market", "pct", "Share of bars with an open position."),
    "total_fees": Metric("Fees paid", "money", "Sum of all fees, entries and exits."),
    # machine learning (engine.ml)
    "accuracy": Metric(
        "Accuracy", "ratio", "Share of test bars whose direction the model got right."
    ),
    "baseline_accuracy": Metric(
        "Baseline accuracy",
        "ratio",
        "Accuracy of always predicting the training set's majority class.",
    ),
    "precision": Metric("Precision", "ratio", "Of the bars predicted up, the share that went up."),
    "recall": Metric("Recall", "ratio", "Of the bars that went up, the share predicted up."),
    "f1": Metric("F1 score", "ratio", "Harmonic mean of precision and recall."),
    "roc_auc": Metric(
        "ROC AUC", "number", "Probability a random up bar scores above a random down bar."
    ),
    "log_loss": Metric("Log loss", "number", "Cross-entropy of the predicted probabilities."),
    # desk and portfolio
    "return_pct": Metric("Return", "signed_pct", "Change of equity over the window."),
    "win_rate": Metric("Win rate", "ratio", "Share of closed trades with a positive P&L."),
    "shrunk_win_rate": Metric(
        "Track record",
        "ratio",
        "Win rate shrunk towards 50% by the number of trades (few trades, little weight).",
    ),
    "fee_rate": Metric("Fee rate", "ratio", "Fee per fill as a share of its notional."),
    "position_size_pct": Metric("Position size", "pct", "Share of cash spent on each entry."),
    "stop_loss_pct": Metric("Stop loss", "pct", "Exit when a trade loses this much."),
    "take_profit_pct": Metric("Take profit", "pct", "Exit when a trade gains this much."),
}


def metric_label(key: Any) -> str:
    return label(key)


def metric_help(key: Any) -> str:
    m = METRICS.get(str(key))
    return m.help if m else ""


def metric_value(value: Any, key: Any, currency: str = "") -> str:
    """``value`` formatted as the metric ``key`` reads (its kind in ``METRICS``)."""
    m = METRICS.get(str(key))
    if value is None:
        return DASH
    if m is None:
        k = str(key)
        if k.endswith("_pct"):
            return pct(value)
        if k.endswith("_seconds"):
            return duration(value)
        return plain(value)
    kind = m.kind
    if kind == "pct":
        return pct(value)
    if kind == "signed_pct":
        return pct(value, signed=True)
    if kind == "ratio":
        return ratio_pct(value)
    if kind == "money":
        return money(value, currency)
    if kind in ("count", "bars"):
        return integer(value)
    if kind == "seconds":
        return duration(value)
    return num(value, 2)


def metric_rows(metrics: Mapping[str, Any] | None, currency: str = "") -> list[dict[str, str]]:
    """A metrics dict as rows a template iterates: key, label, help and formatted value."""
    return [
        {
            "key": k,
            "label": metric_label(k),
            "help": metric_help(k),
            "value": metric_value(v, k, currency),
        }
        for k, v in (metrics or {}).items()
    ]


def decimals_of(values: Any, limit: int = 8) -> int:
    """The fewest decimals (0..limit) that write every one of ``values`` exactly, so a
    series quoted to 5 places (ETHBTC 0.08912) reads with 5, BTCUSDT 64123.5 with 2."""
    best = 0
    for v in values:
        d = to_decimal(v)
        if d is None:
            continue
        d = d.normalize()
        places = max(0, -d.as_tuple().exponent) if isinstance(d.as_tuple().exponent, int) else 0
        if places > best:
            best = places
            if best >= limit:
                return limit
    return best


def window(x: Any) -> str:
    """A (start, end) pair of times: "2024-01-01 00:00 UTC → 2025-10-06 17:00 UTC"."""
    if isinstance(x, list | tuple) and len(x) == 2:
        return f"{when(x[0])} → {when(x[1])}"
    return plain(x)


# Assumption keys whose value is not a metric's: how each reads.
ASSUMPTION_LABELS: dict[str, str] = {
    "fill": "Fill",
    "fill_rule": "Fill rule",
    "fee_rate": "Fee per fill",
    "slippage_bps": "Slippage",
    "allow_short": "Short selling",
    "warmup_bars": "Warm-up",
    "end_of_data": "At the end of the data",
    "buy_and_hold_basis": "Buy & hold basis",
    "stop_take_rule": "Stop-loss and take-profit",
    "window": "Window",
    "candles": "Candles",
}


def assumption_value(value: Any, key: Any) -> str:
    """One stored backtest assumption as it reads: the fee as a percentage of the notional,
    slippage in basis points, counts with separators, the window as two times."""
    key = str(key)
    if value is None:
        return DASH
    if key == "fee_rate":
        d = to_decimal(value)
        return DASH if d is None else auto_number(d * 100) + "% of the notional"
    if key == "slippage_bps":
        return f"{auto_number(value)} bps"
    if key == "allow_short":
        return "allowed" if value else "not allowed (long only)"
    if key == "warmup_bars":
        return f"{integer(value)} bars"
    if key == "fill":
        return label(value)
    if key == "window":
        return window(value)
    return metric_value(value, key)


def assumption_rows(assumptions: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """A run's assumptions as rows: key, label, the definition where one exists, value."""
    return [
        {
            "key": k,
            "label": ASSUMPTION_LABELS.get(k) or label(k),
            "help": metric_help(k),
            "value": assumption_value(v, k),
        }
        for k, v in (assumptions or {}).items()
    ]
