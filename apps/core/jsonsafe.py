"""JSON a client sends, read within limits: nesting depth, number magnitude, no NaN/Infinity.

Python's json module accepts `NaN`/`Infinity`, integers of any size and nesting until the
interpreter's recursion limit; each reached the server as a 500 (RecursionError,
OverflowError, a SQLite JSON constraint). Every JSON the project takes from a user (the
API's request bodies, the pages' JSON text areas, JSON fields of serializers) goes through
``json_loads`` or ``json_problem`` here, so the limits are the same everywhere:

- nesting at most ``JSON_MAX_DEPTH`` arrays/objects deep;
- integers within +/- 2**53 (the range every JSON reader keeps exact, RFC 7493 I-JSON);
- floats finite (a literal such as 1e400 reads as infinity and is refused too);
- no NUL character in a string or key (PostgreSQL's text and jsonb cannot hold one).
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings

MAX_SAFE_INTEGER = 2**53
# Longer digit strings are refused before int() sees them (int() of 4,300+ digits raises).
_MAX_INT_DIGITS = 20


_NUL = "a NUL character (\\u0000), which no text here may hold"


class JSONLimitError(ValueError):
    """A JSON document outside the limits; ``path`` says where (dotted, "" for the top)."""

    def __init__(self, message: str, path: str = ""):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


def max_depth() -> int:
    return settings.JSON_MAX_DEPTH


class _HugeInt(str):
    """An integer literal too long to convert (int() of 4,300+ digits raises): kept as text
    until ``json_problem`` reports it with its path."""


def _parse_int(text: str) -> int | _HugeInt:
    return _HugeInt(text) if len(text.lstrip("-")) > _MAX_INT_DIGITS else int(text)


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def json_problem(
    value: Any, depth: int | None = None, *, nul: bool = True
) -> JSONLimitError | None:
    """The first way an already-parsed value breaks the limits, or None. Iterative, so a
    deep value cannot exhaust the stack here. ``nul=False`` leaves NUL characters to the
    fields that read the value (DRF's text fields refuse them, naming the field)."""
    limit = max_depth() if depth is None else depth
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        node, level, path = stack.pop()
        if isinstance(node, dict | list):
            if level > limit:
                return JSONLimitError(f"nested deeper than {limit} levels", path)
            if nul and isinstance(node, dict):
                bad_key = next((k for k in node if "\x00" in k), None)
                if bad_key is not None:
                    return JSONLimitError(_NUL, _join(path, bad_key.replace("\x00", "\\u0000")))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend((v, level + 1, _join(path, k)) for k, v in items)
        elif isinstance(node, _HugeInt):
            return JSONLimitError("an integer beyond +/- 2**53", path)
        elif isinstance(node, str):
            if nul and "\x00" in node:
                return JSONLimitError(_NUL, path)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if abs(node) > MAX_SAFE_INTEGER:
                return JSONLimitError("an integer beyond +/- 2**53", path)
        elif isinstance(node, float):
            if not math.isfinite(node):
                return JSONLimitError("not a finite number (NaN or Infinity)", path)
    return None


def json_loads(text: str | bytes, *, nul: bool = True) -> Any:
    """json.loads within the limits; JSONLimitError (a ValueError) names the problem and
    json.JSONDecodeError (also a ValueError) reports bad syntax."""
    try:
        # NaN, Infinity and 1e400 read as non-finite floats and huge integers as _HugeInt,
        # so json_problem reports each with its path.
        value = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        # The C decoder stops cleanly at the interpreter's recursion limit; far beyond ours.
        raise JSONLimitError(f"nested deeper than {max_depth()} levels") from None
    problem = json_problem(value, nul=nul)
    if problem is not None:
        raise problem
    return value
