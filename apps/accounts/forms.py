"""The sign-in form: a per-address rate on attempts, and django-axes' lockout of one account
from one address turned into a clear message (apps/accounts/throttles.py)."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from .throttles import (
    THROTTLED_MESSAGE,
    describe_wait,
    locked_message,
    lockout_seconds_left,
    login_rate_wait,
)


class ThrottledAuthenticationForm(AuthenticationForm):
    # Seconds the client must wait when the form refused it for guessing (the view answers
    # 429 with this as Retry-After); None when the form failed for any other reason.
    retry_after: int | None = None

    def clean(self):
        wait = login_rate_wait(self.request)
        if wait is not None:
            self.retry_after = wait
            raise ValidationError(
                THROTTLED_MESSAGE.format(wait=describe_wait(wait)), code="throttled"
            )
        try:
            return super().clean()
        except ValidationError:
            # Axes flags the request when this failure reached the limit, or when the pair
            # was already locked (then the password was not even checked).
            if getattr(self.request, "axes_locked_out", False):
                self.retry_after = lockout_seconds_left(self.request)
                raise ValidationError(locked_message(self.retry_after), code="locked_out") from None
            raise
