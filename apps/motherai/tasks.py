"""Mother AI on a schedule (Celery beat, per user, off by default)."""

import logging

from celery import shared_task

from .services import schedule_run, schedules_due

logger = logging.getLogger(__name__)


@shared_task(name="motherai.cycle")
def motherai_cycle() -> int:
    """Run every schedule that is due; beat calls this every minute."""
    ran = 0
    for schedule in schedules_due():
        try:
            schedule_run(schedule)
            ran += 1
        except Exception:  # noqa: BLE001 - one user's failure must not stop the others
            logger.exception("Mother AI cycle failed for user %s", schedule.owner_id)
    return ran
