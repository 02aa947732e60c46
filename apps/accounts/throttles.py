"""Guards against password guessing, shared by the sign-in page and the API token endpoint.

- LoginRateThrottle: every attempt on the token endpoint counts against a per-address
  rate (THROTTLE_LOGIN, 10/min by default), signed in or not.
- login_blocked / login_failed: failed attempts per address; after LOGIN_MAX_FAILURES in
  15 minutes both the page and the token endpoint refuse that address until the window
  ends, so switching from one to the other gains a guesser nothing.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import AnonRateThrottle

FAILURE_WINDOW_SECONDS = 15 * 60
BLOCKED_MESSAGE = "Too many failed sign-in attempts from this address. Try again in 15 minutes."


class LoginRateThrottle(AnonRateThrottle):
    """Counts every attempt from an address, signed in or not: the guard against password guessing."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _failures_key(request: HttpRequest | None) -> str:
    ip = request.META.get("REMOTE_ADDR", "unknown") if request is not None else "unknown"
    return f"login-failures:{ip}"


def login_blocked(request: HttpRequest | None) -> bool:
    return cache.get(_failures_key(request), 0) >= settings.LOGIN_MAX_FAILURES


def login_failed(request: HttpRequest | None) -> None:
    key = _failures_key(request)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, FAILURE_WINDOW_SECONDS)
