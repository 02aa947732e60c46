"""Security headers Django 5.2 does not set itself: a strict Content-Security-Policy; and
a page whose job the task broker could not take answers with a message, not a 500.

The pages load scripts, styles, fonts and images only from this origin (no inline script
or style anywhere: behaviour lives in static/js, styling in static/css, JSON data in
`json_script` blocks, which browsers never execute). The policy is
settings.CONTENT_SECURITY_POLICY, a dict of directive -> sources; a view that needs a
different policy sets the header itself and is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from apps.core.jobs import JobEnqueueError

HEADER = "Content-Security-Policy"


def csp_header(policy: Mapping[str, Sequence[str]]) -> str:
    """`{"default-src": ["'self'"], ...}` -> "default-src 'self'; ..." (directive order kept)."""
    return "; ".join(
        " ".join([directive, *sources]) for directive, sources in policy.items() if sources
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        if policy and HEADER not in response:
            response[HEADER] = csp_header(policy)
        return response


class JobEnqueueErrorMiddleware:
    """A page that started a job the broker refused (JobEnqueueError: the row is already
    marked failed with the reason) shows the reason on the page it came from. The API
    answers 503 through its exception handler and never gets here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, JobEnqueueError):
            return None
        from django.contrib import messages

        messages.error(request, f"The job was not started: {exception}. Try again later.")
        response = HttpResponseRedirect(request.get_full_path())
        response.status_code = 303
        return response


class NulCharacterMiddleware:
    """Refuse a URL whose path or query holds a NUL character (400 naming where).

    No name, symbol or id here contains one, and PostgreSQL refuses it even inside a query's
    parameters: `/market-data/?symbol=%00` reached the database and answered 500 there.
    Bodies are covered by the form and serializer fields (and apps.core.jsonsafe)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            raise BadRequest("The URL's path contains a NUL character.")
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                name = key.replace("\x00", "\\x00")
                raise BadRequest(f"The query parameter '{name}' contains a NUL character.")
        return self.get_response(request)
