"""The candle-upload rate limit, one count per user shared by the upload page and the API,
so alternating between them gains nothing (THROTTLE_UPLOAD, the DRF `upload` scope)."""

from __future__ import annotations

import math

from rest_framework.throttling import UserRateThrottle


class UploadRateThrottle(UserRateThrottle):
    scope = "upload"


def upload_throttle_wait(request) -> int | None:
    """Count this upload against the user's allowance: None if it may go ahead, else the
    whole seconds until one may (for Retry-After). Takes a Django or a DRF request."""
    throttle = UploadRateThrottle()
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def upload_rate_text() -> str:
    """The allowance as configured, e.g. "30/hour"."""
    return UploadRateThrottle().rate or "unlimited"
