"""Mother AI on a schedule (Celery beat, per user, off by default)."""

from celery import shared_task

from apps.core.schedules import schedules_enqueue_due

from .models import Schedule
from .services import schedule_run


@shared_task(name="motherai.schedule_run")
def motherai_schedule_run(schedule_id: int) -> int | None:
    """One user's cycle: decide (and execute, if the schedule says so)."""
    decision = schedule_run(schedule_id=schedule_id)
    return decision.pk if decision else None


@shared_task(name="motherai.cycle")
def motherai_cycle() -> int:
    """Enqueue one run per due schedule; beat calls this every minute."""
    return schedules_enqueue_due(Schedule, motherai_schedule_run)
