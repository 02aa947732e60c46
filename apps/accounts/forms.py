"""The login form, with a per-address limit on failed attempts (password guessing)."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from .throttles import BLOCKED_MESSAGE, login_blocked, login_failed


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        if login_blocked(self.request):
            raise ValidationError(BLOCKED_MESSAGE, code="throttled")
        try:
            return super().clean()
        except ValidationError:
            login_failed(self.request)
            raise
