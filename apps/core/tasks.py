"""Core tasks: the reaper of stale jobs and beat's liveness tick (both on Celery beat)."""

from celery import shared_task


@shared_task(name="core.jobs_reap")
def jobs_reap() -> dict:
    """Requeue or fail jobs whose worker stopped heartbeating (Celery beat, every 30 s)."""
    from apps.core.jobs import jobs_reap_all

    return jobs_reap_all()


@shared_task(name="core.beat_tick")
def beat_tick() -> str:
    """Stamp the time beat last had a task run (Celery beat, every 30 s); readiness reads it."""
    from django.utils import timezone

    from apps.core.models import ServiceTick
    from apps.core.selectors import BEAT_TICK

    now = timezone.now()
    ServiceTick.objects.update_or_create(name=BEAT_TICK, defaults={"at": now})
    return now.isoformat()
