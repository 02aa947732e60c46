"""Development and the embedded default (`make run`)."""

from .base import *  # noqa: F403
from .envcheck import env_bool

DEBUG = env_bool("DEBUG", True)
