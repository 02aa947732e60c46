"""`manage.py check --deploy` with the production settings is clean when the required
environment variables are set (.env.example and the README list them), and says which
one is missing when it is not."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[3]
# Everything a deployment must set (DATABASE_URL and CELERY_BROKER_URL too, for the full
# stack; check --deploy does not connect to them).
REQUIRED = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "tradingsite.example.com",
    "BINANCE_FERNET_KEYS": Fernet.generate_key().decode(),
    "CACHE_URL": "redis://127.0.0.1:6379/2",
}


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    }
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "tradingsite.settings.production",
            "STORAGE_DIR": str(tmp_path),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "STATIC_ROOT": str(tmp_path / "static"),
        }
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_with_the_required_settings(tmp_path):
    result = check_deploy(tmp_path, **REQUIRED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("BINANCE_FERNET_KEYS", "binance.W001"),
        ("CACHE_URL", "core.W002"),
        ("SECRET_KEY", "SECRET_KEY must be set"),
    ],
)
def test_check_deploy_names_what_is_missing(tmp_path, missing, message):
    env = {k: v for k, v in REQUIRED.items() if k != missing}
    result = check_deploy(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
