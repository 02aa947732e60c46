"""Settings read from the environment and checked as they load.

A bad value stops start-up with ImproperlyConfigured naming the variable and what it got,
instead of surfacing later as a 500 at the first request that uses it (THROTTLE_LOGIN=false
used to fail only at the first sign-in). base.py and the other settings modules call these
in place of env.int / env(...) for values a typo could break.
"""

from __future__ import annotations

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
