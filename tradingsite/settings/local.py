"""Development and the embedded default (`make run`)."""

from .base import *  # noqa: F403
from .base import env
from .envcheck import env_bool

DEBUG = env_bool("DEBUG", True)
# A dev frontend (a Vite server on http://localhost:5173, or http://127.0.0.1:5173) may call
# the API from any port of this machine; CORS_ALLOWED_ORIGIN_REGEXES set (even empty)
# replaces this list. Production allows only what its environment lists.
LOCAL_DEV_ORIGINS = [r"^http://localhost:[0-9]+$", r"^http://127\.0\.0\.1:[0-9]+$"]
CORS_ALLOWED_ORIGIN_REGEXES = env.list("CORS_ALLOWED_ORIGIN_REGEXES", default=LOCAL_DEV_ORIGINS)
