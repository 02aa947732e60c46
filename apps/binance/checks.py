"""Deploy check of the Binance app (`manage.py check --deploy`): the encryption keys."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def check_binance_keys(app_configs, **kwargs) -> list[Warning]:
    if settings.BINANCE_KEY_FILE_FALLBACK and not settings.BINANCE_FERNET_KEYS:
        return []  # the embedded default keeps a generated key file
    from apps.binance.crypto import fernet

    try:
        fernet()
    except ImproperlyConfigured as exc:
        return [
            Warning(
                str(exc),
                hint="Set BINANCE_FERNET_KEYS to one or more comma-separated Fernet keys "
                "(Fernet.generate_key()); without them connecting a Binance key fails.",
                id="binance.W001",
            )
        ]
    return []
