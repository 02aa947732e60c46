"""The login form, with a per-address limit on failed attempts (password guessing)."""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError

MAX_FAILURES = getattr(settings, "LOGIN_MAX_FAILURES", 10)
WINDOW_SECONDS = 15 * 60


class ThrottledAuthenticationForm(AuthenticationForm):
    def _key(self) -> str:
        ip = self.request.META.get("REMOTE_ADDR", "unknown") if self.request else "unknown"
        return f"login-failures:{ip}"

    def clean(self):
        key = self._key()
        if cache.get(key, 0) >= MAX_FAILURES:
            raise ValidationError(
                "Too many failed sign-in attempts from this address. Try again in 15 minutes.",
                code="throttled",
            )
        try:
            return super().clean()
        except ValidationError:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, WINDOW_SECONDS)
            raise
