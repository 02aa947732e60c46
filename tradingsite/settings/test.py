"""Test settings: the embedded default unless DATABASE_URL / CELERY_BROKER_URL say otherwise."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import LOGGING, env
from .envcheck import env_bool, env_choice, env_float, env_positive_int

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default="") or tempfile.mkdtemp(prefix="tradingsite-media-"))
ML_ARTIFACTS_DIR = MEDIA_ROOT / "models"
MARKETDATA_CANDLE_CACHE_DIR = str(MEDIA_ROOT / "candle-cache")
MARKETDATA_IMPORT_DIR = MEDIA_ROOT / "imports"
LOG_FILE = Path(env("LOG_FILE", default=str(Path(tempfile.gettempdir()) / "tradingsite-test.log")))
LOGGING["handlers"]["file"]["filename"] = str(LOG_FILE)
LOGGING["handlers"]["console"]["level"] = "WARNING"
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    **{scope: "1000/min" for scope in ("login", "upload", "health", "health_ready")},
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tests run tasks in-process unless a test asks for the real worker (the `celery_worker`
# fixture flips this off for its duration; the worker process itself gets "false").
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
JOBS_EAGER_MODE = env_choice("JOBS_EAGER_MODE", "inline", ("thread", "inline"))
JOB_HEARTBEAT_SECONDS = env_float("JOB_HEARTBEAT_SECONDS", 1.0)
JOB_STALE_SECONDS = env_positive_int("JOB_STALE_SECONDS", 6)
# A fixed key for tests only (production refuses to start without its own).
BINANCE_FERNET_KEYS = env(
    "BINANCE_FERNET_KEYS", default="785FSUpMeWCar0Sh9-kJtnvDlUJp2_K_vN6wPwjuQQo="
)
