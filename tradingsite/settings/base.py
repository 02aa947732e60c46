"""Settings shared by every environment. Every value comes from the environment
(or a `.env` file beside manage.py) with a safe default; `.env.example` lists them all."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

STORAGE_DIR = Path(env("STORAGE_DIR", default=str(BASE_DIR / "storage"))).expanduser()

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-change-me-3f9a1c0e7b5d4e2a8c6b")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.core",
    "apps.accounts",
    "apps.marketdata",
    "apps.strategies",
    "apps.backtests",
    "apps.ml",
    "apps.portfolio",
    "apps.agents",
    "apps.motherai",
    "apps.binance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise so static files carry the policy too.
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tradingsite.urls"
WSGI_APPLICATION = "tradingsite.wsgi.application"
ASGI_APPLICATION = "tradingsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
            ],
        },
    },
]

# Embedded default: a SQLite file. Full stack: DATABASE_URL=postgres://... (psycopg 3).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{STORAGE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the page read while an import writes; a busy timeout instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Take the write lock when a transaction starts: concurrent writers queue
            # instead of failing half-way with "database is locked".
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Cache: per-process memory by default; CACHE_URL=redis://... shares it between processes.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://tradingsite")}
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=10)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Media (trained model artifacts) live outside the repository by default.
MEDIA_ROOT = Path(
    env("MEDIA_ROOT", default=str(Path.home() / ".local" / "share" / "tradingsite" / "media"))
).expanduser()
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: candle files are capped; the cap is checked before the file is parsed.
MARKETDATA_UPLOAD_MAX_BYTES = env.int("MARKETDATA_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# What a candle file may expand to and hold, checked while streaming, before any parsing
# (SPEC §13). 256 MiB admits a 1M-row Binance 1m kline CSV (~130 MB) with room; real candle
# CSVs compress 3x-25x, so past 16 MiB a file may expand at most MAX_RATIO times its size.
MARKETDATA_UPLOAD_MAX_EXPANDED_BYTES = env.int(
    "MARKETDATA_UPLOAD_MAX_EXPANDED_BYTES", default=256 * 1024 * 1024
)
MARKETDATA_UPLOAD_MAX_RATIO = env.int("MARKETDATA_UPLOAD_MAX_RATIO", default=100)
MARKETDATA_UPLOAD_MAX_MEMBERS = env.int("MARKETDATA_UPLOAD_MAX_MEMBERS", default=16)
MARKETDATA_CSV_MAX_COLUMNS = env.int("MARKETDATA_CSV_MAX_COLUMNS", default=64)
MARKETDATA_CSV_MAX_LINE_BYTES = env.int("MARKETDATA_CSV_MAX_LINE_BYTES", default=4096)
for _name in (
    "MARKETDATA_UPLOAD_MAX_BYTES",
    "MARKETDATA_UPLOAD_MAX_EXPANDED_BYTES",
    "MARKETDATA_UPLOAD_MAX_RATIO",
    "MARKETDATA_UPLOAD_MAX_MEMBERS",
    "MARKETDATA_CSV_MAX_COLUMNS",
    "MARKETDATA_CSV_MAX_LINE_BYTES",
):
    if globals()[_name] < 1:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{_name} must be a positive integer, not {globals()[_name]}")
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# The first handler stops any uploaded file at MARKETDATA_UPLOAD_MAX_BYTES while it streams.
FILE_UPLOAD_HANDLERS = [
    "apps.marketdata.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
MARKETDATA_CANDLES_MAX_POINTS = env.int("MARKETDATA_CANDLES_MAX_POINTS", default=5000)

# Backtests: stored equity curve points, the largest sweep grid, combinations per task.
BACKTEST_EQUITY_POINTS = env.int("BACKTEST_EQUITY_POINTS", default=2000)
SWEEP_MAX_COMBINATIONS = env.int("SWEEP_MAX_COMBINATIONS", default=5000)
SWEEP_CHUNK_SIZE = env.int("SWEEP_CHUNK_SIZE", default=25)

# ML: artifacts under MEDIA_ROOT/models; ML_N_JOBS cores per training (RandomForest n_jobs).
ML_ARTIFACTS_DIR = Path(env("ML_ARTIFACTS_DIR", default=str(MEDIA_ROOT / "models"))).expanduser()
ML_N_JOBS = env.int("ML_N_JOBS", default=1)

# Binance: the REST base URL (tests point it at a local fake exchange), request timeout, and
# the Fernet keys that encrypt stored API secrets (comma-separated; the first encrypts).
# Without keys the embedded default keeps a generated key in STORAGE_DIR/binance.key.
BINANCE_BASE_URL = env("BINANCE_BASE_URL", default="https://api.binance.com")
BINANCE_TIMEOUT = env.float("BINANCE_TIMEOUT", default=10.0)
BINANCE_FERNET_KEYS = env("BINANCE_FERNET_KEYS", default="")
BINANCE_KEY_FILE_FALLBACK = True

# CORS for a separate frontend (the original allowed the Vite dev server).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:5173"])
CORS_ALLOW_CREDENTIALS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API speaks JSON (the candle upload alone takes multipart, see its view).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="10/min"),
        "upload": env("THROTTLE_UPLOAD", default="30/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "tradingsite API",
    "DESCRIPTION": "Research and paper-trade systematic strategies: market data, strategies, "
    "backtests, models, agents, Mother AI and the paper portfolio.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No call-out to the public validator (a third-party image the CSP would block anyway).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for the candle intervals, whether a field calls them interval or timeframe.
    "ENUM_NAME_OVERRIDES": {"IntervalEnum": "engine.marketdata.INTERVALS"},
}

# Celery: no broker URL means the embedded default, tasks run in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Must exceed the longest task, or Redis redelivers a task that is still running.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=4000),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Requeue or fail jobs whose worker died (see apps/core/jobs.py).
    "reap-stale-jobs": {"task": "core.jobs_reap", "schedule": 30.0},
    # Runs each user's Mother AI schedule when it is due (schedules are off by default).
    "motherai-cycle": {"task": "motherai.cycle", "schedule": 60.0},
    # Starts the kline sync of each enabled per-market schedule when due (none by default).
    "binance-sync-schedules": {"task": "binance.sync_schedules", "schedule": 60.0},
}

# Jobs (apps/core/jobs.py): progress writes at most every JOB_PROGRESS_INTERVAL s; a running
# job whose heartbeat is older than JOB_STALE_SECONDS is requeued, up to JOB_MAX_ATTEMPTS.
JOB_PROGRESS_INTERVAL = env.float("JOB_PROGRESS_INTERVAL", default=1.0)
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=5.0)
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=60)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=2)
# Without a broker: "thread" runs a job in a background thread of the web process so the
# request answers at once; "inline" runs it before the request returns.
JOBS_EAGER_MODE = env("JOBS_EAGER_MODE", default="thread")

# Logging as the original system had it: console INFO, a file at DEBUG, same format.
LOG_FILE = Path(env("LOG_FILE", default=str(STORAGE_DIR / "logs" / "app.log"))).expanduser()
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"standard": {"format": "%(asctime)s - %(levelname)s - %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "level": LOG_LEVEL, "formatter": "standard"},
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "level": "DEBUG",
            "filename": str(LOG_FILE),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "formatter": "standard",
            "encoding": "utf-8",
        },
    },
    "root": {"handlers": ["console", "file"], "level": "DEBUG"},
    "loggers": {
        "django": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        "django.utils.autoreload": {"level": "INFO"},
        "celery": {"level": "INFO"},
        "kombu": {"level": "INFO"},
        "amqp": {"level": "INFO"},
        "urllib3": {"level": "INFO"},
        "asyncio": {"level": "INFO"},
        "matplotlib": {"level": "INFO"},
        "numba": {"level": "WARNING"},
        "faker": {"level": "INFO"},
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the pages' fetch() calls read it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy on every response (apps.core.middleware): scripts, styles, fonts
# and fetches from this origin only, no inline script or style, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

DEMO_USERNAME = env("DEMO_USERNAME", default="demo")
DEMO_PASSWORD = env("DEMO_PASSWORD", default="demo-pass-2024")
