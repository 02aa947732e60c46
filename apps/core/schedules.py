"""The one shape every per-user schedule has (Mother AI cycles, Binance market syncs).

A schedule row is the truth: ``enabled``, ``every_minutes`` and when it last ran. Celery
beat calls one small task a minute per kind (``motherai.cycle``, ``binance.sync_schedules``)
that only *enqueues*: each due schedule is claimed with a conditional UPDATE of
``last_run_at`` (so two beats, or a beat and a slow run, never start it twice) and its own
task is sent with the schedule's id. One user's slow or failing run then delays nobody else's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone


class ScheduleBase(models.Model):
    """Abstract base: on or off, how often, when it last ran."""

    enabled = models.BooleanField(default=False)
    every_minutes = models.PositiveIntegerField(default=60)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def is_due(self, now: datetime) -> bool:
        return self.last_run_at is None or now - self.last_run_at >= timedelta(
            minutes=self.every_minutes
        )


S = TypeVar("S", bound=ScheduleBase)


def schedules_due(model: type[S], now: datetime | None = None) -> list[S]:
    """The enabled schedules of ``model`` whose period has passed (enabled rows are few: the
    period differs per row, so it is compared here rather than in SQL)."""
    now = now or timezone.now()
    return [s for s in model.objects.filter(enabled=True) if s.is_due(now)]


def schedules_enqueue_due(model: type[ScheduleBase], task: Any, now: datetime | None = None) -> int:
    """Claim every due schedule of ``model`` and send ``task`` (a Celery task taking the
    schedule's id) for each; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for schedule in schedules_due(model, now):
        claimed = model.objects.filter(
            pk=schedule.pk, enabled=True, last_run_at=schedule.last_run_at
        ).update(last_run_at=now)
        if claimed:
            transaction.on_commit(lambda pk=schedule.pk: task.delay(pk))
            sent += 1
    return sent
