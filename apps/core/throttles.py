"""Rate limits per client address, shared by every app (sign-in, the health endpoints).

The address is the one the last trusted proxy saw (settings.NUM_PROXIES), never a header a
client could rotate to reset its count."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest
from rest_framework.throttling import AnonRateThrottle, BaseThrottle


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the last trusted proxy saw it (REMOTE_ADDR without proxies).

    Whatever X-Forwarded-For holds left of the trusted hops is the client's to invent, so
    only the entry NUM_PROXIES from the right counts. An entry that is not an address (a
    client reaching the server directly with a forged header) falls back to REMOTE_ADDR.
    """
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address((ident or "").strip()))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


class AddressRateThrottle(AnonRateThrottle):
    """Counts every request from an address, signed in or not (subclasses set ``scope``)."""

    def get_ident(self, request) -> str:
        return client_address(request) or ""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
