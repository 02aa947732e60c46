"""Strategy errors that name the exact field path and the reason."""

from __future__ import annotations

from typing import NamedTuple


class FieldError(NamedTuple):
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class StrategyError(ValueError):
    """Every problem found in a strategy, each with its field path."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))
