"""The strategy language: both JSON shapes, a condition grammar, compilation to signals.

Strategies are data: conditions are parsed by a small grammar and interpreted over
vectorised indicator arrays. Nothing is ever evaluated as Python. Named parameters
(``params`` and ``${name}`` references, ``params.py``) are resolved first, in
``parse_strategy``: everything downstream sees numbers.
"""

from .compile import ConditionResult, Signals, compile_signals, infer_interval, required_lookback
from .errors import FieldError, StrategyError
from .grammar import OPERATORS, Operand, parse_condition
from .params import Param, resolve_params
from .resample import align_to_base, resample
from .schema import Condition, Risk, Strategy, parse_strategy

__all__ = [
    "OPERATORS",
    "Param",
    "Condition",
    "ConditionResult",
    "FieldError",
    "Operand",
    "Risk",
    "Signals",
    "Strategy",
    "StrategyError",
    "align_to_base",
    "compile_signals",
    "infer_interval",
    "parse_condition",
    "parse_strategy",
    "required_lookback",
    "resolve_params",
    "resample",
]
