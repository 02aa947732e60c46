"""Values every page template needs."""

from django.conf import settings
from django.http import HttpRequest

import engine
import tradingsite


def site(request: HttpRequest) -> dict:
    return {
        "site_version": tradingsite.__version__,
        "engine_version": engine.__version__,
        "celery_eager": settings.CELERY_TASK_ALWAYS_EAGER,
    }
