"""The Celery app. Without CELERY_BROKER_URL the settings make every task run eagerly in-process."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingsite.settings.local")

app = Celery("tradingsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def warm_up_on_worker_start(sender=None, **kwargs) -> None:
    """Compile the engine's kernels in the worker's main process before its pool starts:
    prefork children are forked with them in memory, so no user's first backtest pays for
    numba compilation. Connected here, after Celery's Django fixup (which sets Django up on
    the same signal): an app's ready() runs too late to receive worker_init."""
    from apps.core.jobs import engine_warm_up

    engine_warm_up(background=False)
