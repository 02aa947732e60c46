"""Settings read from the environment and checked as they load.

A bad value stops start-up with ImproperlyConfigured naming the variable and what it got,
instead of surfacing later as a 500 at the first request that uses it (THROTTLE_LOGIN=false
used to fail only at the first sign-in). base.py and the other settings modules call these
in place of env.int / env(...) for values a typo could break.
"""

from __future__ import annotations

import math
import os
import re

from django.core.exceptions import ImproperlyConfigured

# What DRF's SimpleRateThrottle.parse_rate accepts: a count, "/", then a period whose first
# letter is s, m, h or d ("10/min", "30/hour", "5/second").
_RATE = re.compile(r"^([0-9]+)/([smhd][a-z]*)$")


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_rate(name: str, default: str) -> str:
    """A throttle rate such as 10/min (count >= 1; period second, minute, hour or day)."""
    value = _raw(name)
    if value is None:
        value = default
    match = _RATE.match(value)
    if not match or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 10/min (a count of 1 or more, then /second, "
            f"/minute, /hour or /day), got {value!r}"
        )
    return value


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer within [minimum, maximum]."""
    value = _raw(name)
    if value is None:
        return default
    bound = f"{minimum} or more" if maximum is None else f"between {minimum} and {maximum}"
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number {bound}, got {value!r}"
        ) from None
    if number < minimum or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f"{name} must be a whole number {bound}, got {value!r}")
    return number


def env_positive_int(name: str, default: int, *, maximum: int | None = None) -> int:
    """An integer of 1 or more."""
    return env_int(name, default, minimum=1, maximum=maximum)


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    """A finite number of ``minimum`` or more."""
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not math.isfinite(number) or number < minimum:
        raise ImproperlyConfigured(f"{name} must be a number of {minimum:g} or more, got {value!r}")
    return number


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """true/false (also 1/0, yes/no, on/off)."""
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {value!r}")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``."""
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value
