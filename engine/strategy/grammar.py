"""The condition grammar: a tokenizer and a recursive-descent parser. Nothing is evaluated.

    condition := OP operand
    OP        := "<" | "<=" | ">" | ">=" | "crosses_above" | "crosses_below"
    operand   := NUMBER | FIELD | NAME [ "(" [ NUMBER { "," NUMBER } ] ")" ] [ "." LINE ]

A condition string is data: it is split into tokens by a character-class scanner and
matched against the rules above. Any other character, a name that is not a known
indicator or price field, the wrong number of arguments, a line the indicator does not
have, or anything left over is an error that says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.indicators import INDICATORS, PRICE_FIELDS, IndicatorParamError, validate_params

from .errors import FieldError, StrategyError

OPERATORS = ("<", "<=", ">", ">=", "crosses_above", "crosses_below")
MAX_LENGTH = 200
MAX_TOKENS = 24


@dataclass(frozen=True)
class Operand:
    kind: str  # "number" | "field" | "indicator"
    name: str = ""
    params: tuple[float, ...] = ()
    line: str | None = None
    value: float | None = None
    timeframe: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "number":
            v = self.value
            return str(int(v)) if v is not None and float(v).is_integer() else repr(v)
        if self.kind == "field":
            return self.name
        return INDICATORS[self.name].label(self.params, self.line)

    def key(self) -> tuple:
        return (self.kind, self.name, self.params, self.line, self.value, self.timeframe)


@dataclass(frozen=True)
class _Token:
    kind: str  # num, name, op, punct
    text: str
    pos: int


def _tokenize(text: str, path: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
        elif c in "<>":
            if i + 1 < n and text[i + 1] == "=":
                tokens.append(_Token("op", c + "=", i))
                i += 2
            else:
                tokens.append(_Token("op", c, i))
                i += 1
        elif c in "(),.":
            # A dot starting a number (".5") is a number, not a line selector.
            if (
                c == "."
                and i + 1 < n
                and text[i + 1].isdigit()
                and (not tokens or tokens[-1].kind in ("op", "punct") and tokens[-1].text != ")")
            ):
                j = _scan_number(text, i)
                tokens.append(_Token("num", text[i:j], i))
                i = j
            else:
                tokens.append(_Token("punct", c, i))
                i += 1
        elif c.isdigit() or (
            c in "+-" and i + 1 < n and (text[i + 1].isdigit() or text[i + 1] == ".")
        ):
            j = _scan_number(text, i)
            tokens.append(_Token("num", text[i:j], i))
            i = j
        elif c.isascii() and (c.isalpha() or c == "_"):
            j = i
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            tokens.append(
                _Token("op" if word in ("crosses_above", "crosses_below") else "name", word, i)
            )
            i = j
        else:
            raise StrategyError(
                [FieldError(path, f"unexpected character {c!r} at position {i + 1}")]
            )
        if len(tokens) > MAX_TOKENS:
            raise StrategyError(
                [FieldError(path, "the condition is too long or too deeply nested")]
            )
    return tokens


def _scan_number(text: str, i: int) -> int:
    j = i
    if text[j] in "+-":
        j += 1
    while j < len(text) and (text[j].isdigit() or text[j] == "."):
        j += 1
    if j < len(text) and text[j] in "eE":
        k = j + 1
        if k < len(text) and text[k] in "+-":
            k += 1
        if k < len(text) and text[k].isdigit():
            j = k
            while j < len(text) and text[j].isdigit():
                j += 1
    return j


def _number(tok: _Token, path: str) -> float:
    try:
        value = float(tok.text)
    except ValueError:
        raise StrategyError([FieldError(path, f"bad number {tok.text!r}")]) from None
    if not math.isfinite(value):
        raise StrategyError([FieldError(path, f"bad number {tok.text!r}")])
    return value


def check_params(name: str, params: tuple[float, ...], path: str) -> tuple[float, ...]:
    """The indicator's own parameter rules (defaults filled in), errors placed at ``path``."""
    try:
        return validate_params(name, params)
    except IndicatorParamError as exc:
        raise StrategyError([FieldError(path, str(exc))]) from None


def check_line(name: str, line: str | None, path: str) -> str | None:
    spec = INDICATORS[name]
    if line is None or line == spec.default_line:
        return spec.default_line if len(spec.lines) > 1 else None
    if line not in spec.lines or len(spec.lines) == 1:
        have = ", ".join(spec.lines) if len(spec.lines) > 1 else "no lines"
        raise StrategyError([FieldError(path, f"{name} has no line {line!r} ({have})")])
    return line


def _operand(tokens: list[_Token], i: int, path: str) -> tuple[Operand, int]:
    if i >= len(tokens):
        raise StrategyError([FieldError(path, "missing the value to compare with")])
    tok = tokens[i]
    if tok.kind == "num":
        return Operand(kind="number", value=_number(tok, path)), i + 1
    if tok.kind != "name":
        raise StrategyError(
            [
                FieldError(
                    path, f"expected a number, a price field or an indicator, got {tok.text!r}"
                )
            ]
        )
    name = tok.text.lower()
    i += 1
    if name in PRICE_FIELDS:
        if i < len(tokens) and tokens[i].text in ("(", "."):
            raise StrategyError(
                [FieldError(path, f"the price field {name} takes no arguments or line")]
            )
        return Operand(kind="field", name=name), i
    if name not in INDICATORS:
        raise StrategyError([FieldError(path, f"unknown indicator {tok.text!r}")])
    args: list[float] = []
    if i < len(tokens) and tokens[i].text == "(":
        i += 1
        if i < len(tokens) and tokens[i].text == ")":
            i += 1
        else:
            while True:
                if i >= len(tokens):
                    raise StrategyError([FieldError(path, f"unclosed '(' after {name}")])
                if tokens[i].kind != "num":
                    raise StrategyError(
                        [
                            FieldError(
                                path, f"{name} arguments must be numbers, got {tokens[i].text!r}"
                            )
                        ]
                    )
                args.append(_number(tokens[i], path))
                i += 1
                if i < len(tokens) and tokens[i].text == ",":
                    i += 1
                    continue
                if i < len(tokens) and tokens[i].text == ")":
                    i += 1
                    break
                raise StrategyError(
                    [FieldError(path, f"expected ',' or ')' in the arguments of {name}")]
                )
    line = None
    if i < len(tokens) and tokens[i].text == ".":
        if i + 1 >= len(tokens) or tokens[i + 1].kind != "name":
            raise StrategyError([FieldError(path, f"expected a line name after '{name}.'")])
        line = tokens[i + 1].text.lower()
        i += 2
    params = check_params(name, tuple(args), path)
    return Operand(kind="indicator", name=name, params=params, line=check_line(name, line, path)), i


def parse_condition(text: str, path: str = "condition") -> tuple[str, Operand]:
    """Parse ``OP RHS``; raises StrategyError naming ``path`` and the reason."""
    if not isinstance(text, str):
        raise StrategyError(
            [FieldError(path, "must be a string such as '< 30' or 'crosses_above ema(50)'")]
        )
    if len(text) > MAX_LENGTH:
        raise StrategyError([FieldError(path, f"longer than {MAX_LENGTH} characters")])
    tokens = _tokenize(text.strip(), path)
    if not tokens:
        raise StrategyError([FieldError(path, "empty condition")])
    if tokens[0].kind != "op":
        raise StrategyError(
            [
                FieldError(
                    path, f"must start with one of {', '.join(OPERATORS)}, got {tokens[0].text!r}"
                )
            ]
        )
    op = tokens[0].text
    rhs, i = _operand(tokens, 1, path)
    if i != len(tokens):
        raise StrategyError(
            [FieldError(path, f"unexpected {tokens[i].text!r} after the condition")]
        )
    return op, rhs
