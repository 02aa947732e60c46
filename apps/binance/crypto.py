"""Secrets at rest: Fernet tokens under keys that are not SECRET_KEY.

BINANCE_FERNET_KEYS is a comma-separated list: the first key encrypts, every key
decrypts (MultiFernet), so a key can be rotated in (``rotate_binance_key``) without
losing what was stored. Without the variable the embedded default generates a key file
once at BINANCE_KEY_FILE (mode 0600, default ~/.config/tradingsite/binance.key): outside
STORAGE_DIR, so a copy of storage/ (the SQLite file with the encrypted secrets) is not
enough to decrypt them. A key file left at the old place, STORAGE_DIR/binance.key, is
moved there on first use. Production settings require the variable. A secret that no
configured key decrypts is an error, never a silent fallback.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


class SecretsUnreadable(RuntimeError):
    pass


def _keys() -> list[str]:
    configured = [k.strip() for k in (settings.BINANCE_FERNET_KEYS or "").split(",") if k.strip()]
    if configured:
        return configured
    if not settings.BINANCE_KEY_FILE_FALLBACK:
        raise ImproperlyConfigured(
            "BINANCE_FERNET_KEYS must be set (a Fernet key: Fernet.generate_key())"
        )
    path = Path(settings.BINANCE_KEY_FILE).expanduser()
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _move_old_key_file(path)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
    return [path.read_text().strip()]


def _move_old_key_file(path: Path) -> None:
    """Move (never copy: a copy would stay beside the database) the key file that earlier
    versions kept in STORAGE_DIR to ``path``."""
    old = Path(settings.STORAGE_DIR).expanduser() / "binance.key"
    if not old.exists() or old.resolve() == path.resolve():
        return
    try:
        shutil.move(old, path)
    except FileNotFoundError:  # another process moved it first
        return
    path.chmod(0o600)
    logger.warning("moved the Binance key file from %s to %s", old, path)


def fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in _keys()])
    except ValueError:
        raise ImproperlyConfigured(
            "BINANCE_FERNET_KEYS holds a value that is not a Fernet key"
        ) from None


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretsUnreadable(
            "stored Binance secrets cannot be decrypted with the configured BINANCE_FERNET_KEYS"
        ) from None


def rotate(token: str, new_key: str) -> str:
    """Re-encrypt a token under ``new_key`` (decrypting with any configured key)."""
    keys = [Fernet(new_key.encode())] + [Fernet(k.encode()) for k in _keys()]
    try:
        return MultiFernet(keys).rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretsUnreadable(
            "stored Binance secrets cannot be decrypted with the configured BINANCE_FERNET_KEYS"
        ) from None


def mask(api_key: str) -> str:
    return "••••" + api_key[-4:] if len(api_key) >= 4 else "••••"
