"""Core rows: when the periodic machinery last showed a sign of life."""

from django.db import models


class ServiceTick(models.Model):
    """The last time a periodic component ran (one row per component, e.g. "beat").

    Celery beat only sends tasks; a worker runs ``core.beat_tick`` and stamps this row, so a
    recent tick proves that beat is scheduling and a worker is consuming. Readiness reads it.
    """

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}Z"
