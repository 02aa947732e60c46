"""Settings shared by every environment. Every value comes from the environment
(or a `.env` file beside manage.py) with a safe default; `.env.example` lists them all."""

from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as cors_default_headers

from .envcheck import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_positive_int,
    env_rate,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

STORAGE_DIR = Path(env("STORAGE_DIR", default=str(BASE_DIR / "storage"))).expanduser()

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-change-me-3f9a1c0e7b5d4e2a8c6b")
DEBUG = env_bool("DEBUG", False)
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
    "knox",
    "axes",
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
    "apps.deskbt",
    "apps.binance",
    "apps.replay",
    # The top floor: imports every app above; nothing imports it.
    "apps.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise so static files carry the policy too.
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # PostgreSQL refuses NUL even as a query parameter: a URL holding one is a 400 here.
    "apps.core.middleware.NulCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A page whose job the broker refused shows the reason (apps/core/jobs.py).
    "apps.core.middleware.JobEnqueueErrorMiddleware",
    # Last, as django-axes asks: it answers a sign-in that other views did not (the admin's).
    "axes.middleware.AxesMiddleware",
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
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Cache: per-process memory by default; CACHE_URL=redis://... shares it between processes.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://tradingsite")}

# Sign-in and API tokens (apps/accounts). The client address is read through NUM_PROXIES
# trusted reverse proxies (0: REMOTE_ADDR; 1: the last X-Forwarded-For entry, the one your
# proxy appended), the same for the lockout and every DRF throttle. LOGIN_MAX_FAILURES bad
# passwords for one account from one address lock that pair only, for LOGIN_LOCKOUT_MINUTES
# after the last failure (django-axes, counted in the database so every worker sees them).
# API tokens (django-rest-knox) are stored hashed and expire after API_TOKEN_TTL_HOURS; a
# sign-in makes a new one, keeping at most API_TOKEN_MAX_PER_USER per user.
NUM_PROXIES = env_int("NUM_PROXIES", 0, maximum=10)
LOGIN_MAX_FAILURES = env_positive_int("LOGIN_MAX_FAILURES", 10, maximum=1000)
LOGIN_LOCKOUT_MINUTES = env_positive_int("LOGIN_LOCKOUT_MINUTES", 15, maximum=7 * 24 * 60)
API_TOKEN_TTL_HOURS = env_positive_int("API_TOKEN_TTL_HOURS", 24, maximum=24 * 366)
API_TOKEN_MAX_PER_USER = env_positive_int("API_TOKEN_MAX_PER_USER", 10, maximum=1000)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Callables, so the limits have one home (the settings above) and tests can override them.
AXES_FAILURE_LIMIT = "apps.accounts.throttles.failure_limit"
AXES_COOLOFF_TIME = "apps.accounts.throttles.cool_off"
AXES_CLIENT_IP_CALLABLE = "apps.core.throttles.client_address"
AXES_LOCKOUT_CALLABLE = "apps.accounts.throttles.lockout_response"
# An attempt while locked out does not restart the clock, so Retry-After stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# No table of every successful sign-in (it would also create a session per API sign-in).
AXES_DISABLE_ACCESS_LOG = True
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
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

# Uploads: candle files are capped; the cap is checked while the file streams to a temporary
# file (over FILE_UPLOAD_MAX_MEMORY_SIZE), before it is parsed. 256 MiB admits a 1M-row
# uncompressed CSV (~100-130 MB), as sent.
MARKETDATA_UPLOAD_MAX_BYTES = env_positive_int("MARKETDATA_UPLOAD_MAX_BYTES", 256 * 1024 * 1024)
# What a candle file may expand to and hold, checked while streaming, before any parsing
# (SPEC §13). 256 MiB admits a 1M-row Binance 1m kline CSV (~130 MB) with room; real candle
# CSVs compress 3x-25x, so past 16 MiB a file may expand at most MAX_RATIO times its size.
MARKETDATA_UPLOAD_MAX_EXPANDED_BYTES = env_positive_int(
    "MARKETDATA_UPLOAD_MAX_EXPANDED_BYTES", 256 * 1024 * 1024
)
MARKETDATA_UPLOAD_MAX_RATIO = env_positive_int("MARKETDATA_UPLOAD_MAX_RATIO", 100)
# An uploaded candle file is imported as a job (its CandleImport row reports the progress);
# a file of at most this many bytes is imported within the request (8 MiB: ~80k rows, well
# under a second), a larger one by a worker while the page polls it. The file waits in
# MARKETDATA_IMPORT_DIR until its import ends.
MARKETDATA_IMPORT_INLINE_MAX_BYTES = env_int("MARKETDATA_IMPORT_INLINE_MAX_BYTES", 8 * 1024 * 1024)
MARKETDATA_IMPORT_DIR = Path(
    env("MARKETDATA_IMPORT_DIR", default=str(MEDIA_ROOT / "imports"))
).expanduser()
MARKETDATA_UPLOAD_MAX_MEMBERS = env_positive_int("MARKETDATA_UPLOAD_MAX_MEMBERS", 16)
MARKETDATA_CSV_MAX_COLUMNS = env_positive_int("MARKETDATA_CSV_MAX_COLUMNS", 64)
MARKETDATA_CSV_MAX_LINE_BYTES = env_positive_int("MARKETDATA_CSV_MAX_LINE_BYTES", 4096)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_positive_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_positive_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
# The first handler stops any uploaded file at MARKETDATA_UPLOAD_MAX_BYTES while it streams.
FILE_UPLOAD_HANDLERS = [
    "apps.marketdata.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
MARKETDATA_CANDLES_MAX_POINTS = env_positive_int("MARKETDATA_CANDLES_MAX_POINTS", 5000)
# The read-through candle cache (one .npy file per series, apps/marketdata/candlecache.py);
# an empty value turns it off (every read goes to the database).
MARKETDATA_CANDLE_CACHE_DIR = env(
    "MARKETDATA_CANDLE_CACHE_DIR", default=str(STORAGE_DIR / "candle-cache")
)
# JSON from users (API bodies, JSON text areas): arrays/objects nested at most this deep
# (integers beyond +/- 2**53 and NaN/Infinity are always refused; apps/core/jsonsafe.py).
JSON_MAX_DEPTH = env_positive_int("JSON_MAX_DEPTH", 32)

# Backtests: stored equity curve points, the largest sweep grid, combinations per task.
BACKTEST_EQUITY_POINTS = env_positive_int("BACKTEST_EQUITY_POINTS", 2000)
SWEEP_MAX_COMBINATIONS = env_positive_int("SWEEP_MAX_COMBINATIONS", 5000)
DESK_SWEEP_MAX_COMBINATIONS = env_positive_int("DESK_SWEEP_MAX_COMBINATIONS", 200)
SWEEP_CHUNK_SIZE = env_positive_int("SWEEP_CHUNK_SIZE", 25)

# The live desk (SPEC §7a): a signal or a latest close is fresh while its candle closed at
# most this many intervals ago; stale signals are marked and skipped by the Mother AI, and
# an order without a price refuses a stale close.
DESK_MAX_STALE_BARS = env_positive_int("DESK_MAX_STALE_BARS", 2, maximum=10_000)

# ML: artifacts under MEDIA_ROOT/models; ML_N_JOBS cores per training (RandomForest n_jobs).
ML_ARTIFACTS_DIR = Path(env("ML_ARTIFACTS_DIR", default=str(MEDIA_ROOT / "models"))).expanduser()
ML_N_JOBS = env_positive_int("ML_N_JOBS", 1)

# Binance: the REST base URL (tests point it at a local fake exchange), request timeout, and
# the Fernet keys that encrypt stored API secrets (comma-separated; the first encrypts).
# Without keys the embedded default keeps a generated key in BINANCE_KEY_FILE, outside
# STORAGE_DIR so a copy of storage/ cannot decrypt the secrets stored there.
BINANCE_KEY_FILE = Path(
    env("BINANCE_KEY_FILE", default=str(Path.home() / ".config" / "tradingsite" / "binance.key"))
).expanduser()
BINANCE_BASE_URL = env("BINANCE_BASE_URL", default="https://api.binance.com")
BINANCE_TIMEOUT = env_float("BINANCE_TIMEOUT", 10.0)
BINANCE_FERNET_KEYS = env("BINANCE_FERNET_KEYS", default="")
BINANCE_KEY_FILE_FALLBACK = True

# CORS for a separate frontend (with credentials allowed, an allowed origin can act as the
# signed-in user): exact origins in CORS_ALLOWED_ORIGINS, patterns in
# CORS_ALLOWED_ORIGIN_REGEXES. None here (production, tests); the local/embedded settings
# allow dev servers on any port of localhost and 127.0.0.1 (settings/local.py). A client
# reads Location (a queued job's URL), Retry-After and Content-Disposition (exports).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOWED_ORIGIN_REGEXES = env.list("CORS_ALLOWED_ORIGIN_REGEXES", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_EXPOSE_HEADERS = ["Location", "Retry-After", "Content-Disposition"]
# An order may carry an Idempotency-Key (POST /api/portfolio/orders/).
CORS_ALLOW_HEADERS = (*cors_default_headers, "idempotency-key")

REST_FRAMEWORK = {
    # Token first: its challenge (WWW-Authenticate: Token) makes a missing, expired or revoked
    # token a 401, which tells a client to sign in again; pages use the session as before.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API speaks JSON (the candle upload alone takes multipart, see its view).
    # SafeJSONParser: DRF's, with size, depth and number limits (apps/core/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env_rate("THROTTLE_LOGIN", "10/min"),
        "upload": env_rate("THROTTLE_UPLOAD", "30/hour"),
        # The open health endpoints, per client address: liveness is free, readiness is not.
        "health": env_rate("THROTTLE_HEALTH", "300/min"),
        "health_ready": env_rate("THROTTLE_HEALTH_READY", "60/min"),
    },
    # Throttles identify a client through this many trusted proxies (see NUM_PROXIES above);
    # DRF's default (None) trusts X-Forwarded-For as sent, so rotating it evaded every limit.
    "NUM_PROXIES": NUM_PROXIES,
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
    "ENUM_NAME_OVERRIDES": {
        "IntervalEnum": "engine.marketdata.INTERVALS",
        "ReplayStatusEnum": "apps.replay.models.ReplaySession.Status",
        "JobStatusEnum": "apps.core.jobs.JobStatus",
        "LogicEnum": "engine.strategy.schema.LOGICS",
    },
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
CELERY_TASK_TIME_LIMIT = env_positive_int("CELERY_TASK_TIME_LIMIT", 3600)
CELERY_TASK_SOFT_TIME_LIMIT = env_positive_int("CELERY_TASK_SOFT_TIME_LIMIT", 3300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Must exceed the longest task, or Redis redelivers a task that is still running.
    "visibility_timeout": env_positive_int("CELERY_VISIBILITY_TIMEOUT", 4000),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Proves beat schedules and a worker consumes: /api/health/ready/ shows the last tick.
    "beat-tick": {"task": "core.beat_tick", "schedule": 30.0},
    # Requeue or fail jobs whose worker died (see apps/core/jobs.py).
    "reap-stale-jobs": {"task": "core.jobs_reap", "schedule": 30.0},
    # Runs each user's Mother AI schedule when it is due (schedules are off by default).
    "motherai-cycle": {"task": "motherai.cycle", "schedule": 60.0},
    # Starts the kline sync of each enabled per-market schedule when due (none by default).
    "binance-sync-schedules": {"task": "binance.sync_schedules", "schedule": 60.0},
    # Advances each running replay session whose step interval has passed (apps/replay).
    "replay-tick": {"task": "replay.tick", "schedule": 1.0},
}

# Health (/api/health/ready/): how long a measured answer is reused, and how old beat's last
# tick may be before it is reported "stale" (it ticks every 30 s).
HEALTH_CACHE_SECONDS = env_positive_int("HEALTH_CACHE_SECONDS", 5)
HEALTH_BEAT_STALE_SECONDS = env_positive_int("HEALTH_BEAT_STALE_SECONDS", 90)

# Jobs (apps/core/jobs.py): progress writes at most every JOB_PROGRESS_INTERVAL s; a running
# job whose heartbeat is older than JOB_STALE_SECONDS is requeued, up to JOB_MAX_ATTEMPTS.
JOB_PROGRESS_INTERVAL = env_float("JOB_PROGRESS_INTERVAL", 1.0)
JOB_HEARTBEAT_SECONDS = env_float("JOB_HEARTBEAT_SECONDS", 5.0, minimum=0.1)
JOB_STALE_SECONDS = env_positive_int("JOB_STALE_SECONDS", 60)
JOB_MAX_ATTEMPTS = env_positive_int("JOB_MAX_ATTEMPTS", 2)
# Without a broker: "thread" runs a job in a background thread of the web process so the
# request answers at once; "inline" runs it before the request returns.
JOBS_EAGER_MODE = env_choice("JOBS_EAGER_MODE", "thread", ("thread", "inline"))
# Compile the engine's numba kernels at start-up (Celery worker start, embedded runner
# thread) instead of in the first user's request (apps/core/jobs.py engine_warm_up).
JOBS_WARM_UP = env_bool("JOBS_WARM_UP", True)
# No job left stuck (issue 12): the reaper runs every JOB_REAP_SECONDS (Celery beat, or the
# embedded web process); a queued job not claimed JOB_QUEUED_STALE_SECONDS after its last
# send is sent again; the embedded runner uses at most JOBS_EMBEDDED_WORKERS threads; a send
# to a dead broker gives up after a few short retries (the job is marked failed, 503).
JOB_REAP_SECONDS = env_positive_int("JOB_REAP_SECONDS", 30)
JOB_QUEUED_STALE_SECONDS = env_positive_int("JOB_QUEUED_STALE_SECONDS", 300)
JOBS_EMBEDDED_WORKERS = env_positive_int("JOBS_EMBEDDED_WORKERS", 2)
CELERY_BEAT_SCHEDULE["reap-stale-jobs"]["schedule"] = float(JOB_REAP_SECONDS)
# Replay sessions' clock: how often beat (or the embedded web process) looks for due steps.
REPLAY_TICK_SECONDS = env_float("REPLAY_TICK_SECONDS", 1.0, minimum=0.1)
CELERY_BEAT_SCHEDULE["replay-tick"]["schedule"] = REPLAY_TICK_SECONDS
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env_int("CELERY_PUBLISH_MAX_RETRIES", 2),
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 2.0)

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
