"""Services of sign-in: API tokens (django-rest-knox's AuthToken: only a SHA-512 digest and
a 15-character lookup prefix of each token are stored; the token itself is shown once)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken


def token_create(*, user) -> tuple[AuthToken, str]:
    """A new token for each sign-in, valid API_TOKEN_TTL_HOURS. Expired tokens go, and the
    oldest live ones beyond API_TOKEN_MAX_PER_USER - 1, so a user holds at most that many."""
    with transaction.atomic():
        # Serialise one user's sign-ins so two at once cannot both keep the cap's last slot.
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        now = timezone.now()
        tokens = AuthToken.objects.filter(user=user)
        tokens.filter(expiry__lte=now).delete()
        keep = settings.API_TOKEN_MAX_PER_USER - 1
        surplus = list(tokens.order_by("-created").values_list("digest", flat=True)[keep:])
        if surplus:
            AuthToken.objects.filter(digest__in=surplus).delete()
        return AuthToken.objects.create(
            user=user, expiry=timedelta(hours=settings.API_TOKEN_TTL_HOURS)
        )


def token_revoke(*, token: AuthToken) -> None:
    token.delete()


def tokens_revoke_all(*, user) -> int:
    """Every API token of the user (sign-out of the page, password change)."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
