"""Guards against password guessing, shared by the sign-in page and the API token endpoint.

- client_address (apps.core.throttles): who is asking, read through settings.NUM_PROXIES
  trusted reverse proxies (DRF's rule, so the lockout and every DRF throttle agree).
- LoginRateThrottle: every attempt from an address counts against THROTTLE_LOGIN
  (10/min by default) on both doors, whichever account it names.
- The lockout is django-axes (settings: AXES_*): LOGIN_MAX_FAILURES failures for one
  account from one address lock that pair, and only that pair, for LOGIN_LOCKOUT_MINUTES
  after the last failure. Axes counts failures in the database, so all web workers share
  them; the helpers below feed it our settings and say how long a lockout has left.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from apps.core.throttles import AddressRateThrottle, client_address

LOCKED_MESSAGE = "Too many failed sign-in attempts for this account from this address."
THROTTLED_MESSAGE = "Too many sign-in attempts from this address. Try again in {wait}."


class LoginRateThrottle(AddressRateThrottle):
    """Counts every attempt from an address, signed in or not: the guard against guessing
    many accounts' passwords from one place."""

    scope = "login"


def login_rate_wait(request: HttpRequest) -> int | None:
    """Record a sign-in attempt on the page; the seconds to wait if it is over the rate."""
    throttle = LoginRateThrottle()
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def failure_limit(request: HttpRequest | None = None, credentials: dict | None = None) -> int:
    """AXES_FAILURE_LIMIT: failures before the lockout (LOGIN_MAX_FAILURES)."""
    return settings.LOGIN_MAX_FAILURES


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """AXES_COOLOFF_TIME: how long a lockout lasts after the last failure."""
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def lockout_seconds_left(request: HttpRequest, credentials: dict | None = None) -> int:
    """Seconds until this account may try again from this address: the last counted
    failure plus the cool-off, minus now (attempts while locked out are not counted, so
    this only ever counts down). The account is the one axes saw in the refused attempt."""
    from axes.helpers import get_client_parameters, get_client_user_agent, get_client_username
    from axes.models import AccessAttempt

    credentials = credentials or getattr(request, "axes_credentials", None)
    username = get_client_username(request, credentials)
    window = cool_off(request)
    last = None
    for filters in get_client_parameters(
        username, client_address(request), get_client_user_agent(request), request
    ):
        latest = AccessAttempt.objects.filter(**filters).aggregate(t=Max("attempt_time"))["t"]
        if latest is not None and (last is None or latest > last):
            last = latest
    if last is None:
        return math.ceil(window.total_seconds())
    return max(1, math.ceil((last + window - timezone.now()).total_seconds()))


def describe_wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def locked_message(seconds: int) -> str:
    return f"{LOCKED_MESSAGE} Try again in {describe_wait(seconds)}."


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE, called by AxesMiddleware for a locked-out sign-in. The page and
    the API already answer 429 with their own body; any other sign-in form (the admin's)
    gets a plain 429 with the same true Retry-After."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    seconds = lockout_seconds_left(request, credentials)
    response = HttpResponse(locked_message(seconds), status=429, content_type="text/plain")
    response["Retry-After"] = str(seconds)
    return response
