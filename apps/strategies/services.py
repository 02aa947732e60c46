"""Strategy writes: create, update (a new version on every definition change; a name or
notes edit alone updates the strategy in place), delete, validate.

Validation is the engine's parser: a strategy that parses is safe to store and to run,
because it is interpreted, never executed. Errors come back keyed by the exact field
path inside the JSON (``entry_conditions[1].condition``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from apps.core.jsonsafe import JSONLimitError, json_loads, json_problem
from apps.core.validators import name_clean
from apps.marketdata.services import symbol_name_clean
from engine.marketdata import INTERVALS
from engine.strategy import Strategy as EngineStrategy
from engine.strategy import StrategyError, parse_strategy

from .models import Strategy, StrategyVersion

MAX_DEFINITION_BYTES = 64 * 1024


def strategy_errors(exc: StrategyError) -> dict[str, list[str]]:
    """Field-path -> messages, for the API and the editor."""
    out: dict[str, list[str]] = {}
    for err in exc.errors:
        out.setdefault(err.path or "strategy", []).append(err.message)
    return out


def _limit_error(field: str, exc: JSONLimitError) -> ValidationError:
    """A JSON limit broken inside the strategy, named at its place like the grammar's errors."""
    return ValidationError({f"{field}.{exc.path}" if exc.path else field: [exc.message]})


def strategy_parse(
    definition: Any,
    *,
    symbol: str | None = None,
    timeframe: str | None = None,
    field: str = "strategy_json",
) -> EngineStrategy:
    """Parse a definition (dict or JSON text) with the engine; ValidationError on any error.

    ``symbol``/``timeframe`` given beside the JSON fill it in when it lacks them and must
    agree with it when it has them.
    """
    if isinstance(definition, str):
        if len(definition.encode()) > MAX_DEFINITION_BYTES:
            raise ValidationError(
                {field: [f"the strategy is larger than {MAX_DEFINITION_BYTES} bytes"]}
            )
        try:
            definition = json_loads(definition)
        except JSONLimitError as exc:
            raise _limit_error(field, exc) from None
        except json.JSONDecodeError as exc:
            raise ValidationError(
                {field: [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]}
            ) from None
    if not isinstance(definition, dict):
        raise ValidationError({field: ["must be a JSON object"]})
    if (problem := json_problem(definition)) is not None:
        raise _limit_error(field, problem)
    if len(json.dumps(definition)) > MAX_DEFINITION_BYTES:
        raise ValidationError(
            {field: [f"the strategy is larger than {MAX_DEFINITION_BYTES} bytes"]}
        )
    definition = dict(definition)
    errors: dict[str, list[str]] = {}
    if symbol:
        try:
            clean = symbol_name_clean(symbol)
        except ValidationError as exc:
            errors["symbol"] = exc.message_dict["symbol"]
        else:
            inner = definition.get("symbol")
            if inner and str(inner).strip().upper() != clean:
                errors["symbol"] = [
                    f"{clean} differs from the strategy's own symbol {str(inner).upper()}"
                ]
            definition.setdefault("symbol", clean)
    if timeframe:
        if timeframe not in INTERVALS:
            errors["timeframe"] = [f"unknown interval {timeframe!r}"]
        elif definition.get("timeframe") and definition["timeframe"] != timeframe:
            errors["timeframe"] = [
                f"{timeframe} differs from the strategy's own timeframe {definition['timeframe']}"
            ]
        else:
            definition.setdefault("timeframe", timeframe)
    if errors:
        raise ValidationError(errors)
    try:
        parsed = parse_strategy(definition)
    except StrategyError as exc:
        raise ValidationError(
            {
                field: [
                    f"{p}: {m}" if p else m
                    for p, msgs in strategy_errors(exc).items()
                    for m in msgs
                ]
            }
        ) from None
    if not parsed.symbol:
        raise ValidationError(
            {"symbol": ['required: put "symbol" in the strategy or send it as a field']}
        )
    return parsed


def _definition_dict(definition: Any) -> dict:
    return json.loads(definition) if isinstance(definition, str) else dict(definition)


def _name_for(parsed: EngineStrategy, name: str | None) -> str:
    final = (name or parsed.name or f"{parsed.symbol} strategy").strip()[:120]
    # The name may come from the JSON's strategy_name: say which one was refused.
    return name_clean(final, "name" if name else "strategy_json.strategy_name")


@transaction.atomic
def strategy_create(
    *,
    owner,
    definition: Any,
    name: str | None = None,
    notes: str = "",
    symbol: str | None = None,
    timeframe: str | None = None,
) -> Strategy:
    parsed = strategy_parse(definition, symbol=symbol, timeframe=timeframe)
    raw = _definition_dict(definition)
    final_name = _name_for(parsed, name)
    strategy = Strategy(
        owner=owner,
        name=final_name,
        symbol=parsed.symbol,
        timeframe=parsed.timeframe,
        definition=raw,
        normalized=parsed.to_dict(),
        notes=notes or parsed.notes or "",
        version=1,
    )
    try:
        with transaction.atomic():
            strategy.save()
    except IntegrityError:
        raise ValidationError(
            {"name": [f"you already have a strategy named {final_name!r}"]}
        ) from None
    _version_add(strategy)
    return strategy


def _version_add(strategy: Strategy) -> StrategyVersion:
    return StrategyVersion.objects.create(
        strategy=strategy,
        number=strategy.version,
        name=strategy.name,
        symbol=strategy.symbol,
        timeframe=strategy.timeframe,
        definition=strategy.definition,
        normalized=strategy.normalized,
        notes=strategy.notes,
    )


@transaction.atomic
def strategy_update(
    *,
    strategy: Strategy,
    definition: Any | None = None,
    name: str | None = None,
    notes: str | None = None,
    symbol: str | None = None,
    timeframe: str | None = None,
) -> Strategy:
    """Apply changes. A new version is recorded only when what runs changed (the
    definition, or the symbol or timeframe it runs on); a name or notes edit alone updates
    the strategy row and keeps its current version (versions are snapshots of what ran,
    so they keep the name and notes they were saved with)."""
    locked = Strategy.objects.select_for_update().get(pk=strategy.pk)
    # Parse first: it is what refuses a definition that is not a JSON object.
    parsed = strategy_parse(
        definition if definition is not None else locked.definition,
        symbol=symbol,
        timeframe=timeframe,
    )
    raw = _definition_dict(definition) if definition is not None else locked.definition
    new_name = (
        _name_for(parsed, name)
        if name is not None
        else (
            _name_for(parsed, None)
            if definition is not None and "strategy_name" in raw and raw.get("strategy_name")
            else locked.name
        )
    )
    new_notes = notes if notes is not None else locked.notes
    runs_differently = (
        raw != locked.definition
        or parsed.symbol != locked.symbol
        or parsed.timeframe != locked.timeframe
    )
    if not runs_differently and new_name == locked.name and new_notes == locked.notes:
        return locked
    locked.name = new_name
    locked.notes = new_notes
    if runs_differently:
        locked.definition = raw
        locked.normalized = parsed.to_dict()
        locked.symbol = parsed.symbol
        locked.timeframe = parsed.timeframe
        locked.version += 1
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        raise ValidationError(
            {"name": [f"you already have a strategy named {new_name!r}"]}
        ) from None
    if runs_differently:
        _version_add(locked)
    return locked


def strategy_delete(*, strategy: Strategy) -> None:
    """Delete a strategy and its versions; refused while an agent still trades it (the
    agent pins one of its versions), so nothing is left pointing at a deleted strategy."""
    try:
        strategy.delete()
    except ProtectedError as exc:  # raised while collecting, before anything is deleted
        users = ", ".join(sorted({str(obj) for obj in exc.protected_objects}))
        raise ValidationError(
            {
                "strategy": [
                    f"{strategy.name!r} is used by the agent(s) {users}; delete them or give them "
                    "another strategy first"
                ]
            }
        ) from None


def strategy_copy(*, owner, definition: Any, name: str, notes: str = "") -> Strategy:
    """A new strategy (version 1) from a definition, e.g. the one a backtest ran, named
    "<name> (copy)", or "(copy 2)", "(copy 3)"… the first name the owner does not use yet."""
    taken = set(Strategy.objects.filter(owner=owner).values_list("name", flat=True))
    base = f"{name[:110]} (copy"
    candidates = (f"{base})" if n == 1 else f"{base} {n})" for n in range(1, len(taken) + 2))
    free = next(c for c in candidates if c not in taken)
    return strategy_create(owner=owner, definition=definition, name=free, notes=notes)
