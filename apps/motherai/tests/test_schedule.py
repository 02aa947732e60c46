"""Mother AI on a clock: beat's cycle enqueues one run per due schedule, each claimed once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.schedules import schedules_enqueue_due
from apps.motherai.models import Decision, Schedule
from apps.motherai.tasks import motherai_cycle, motherai_schedule_run

pytestmark = pytest.mark.django_db(transaction=True)  # runs are sent on commit


def test_the_cycle_runs_each_due_schedule_once(user, other_user, settings):
    assert settings.CELERY_BEAT_SCHEDULE["motherai-cycle"]["task"] == "motherai.cycle"
    Schedule.objects.create(owner=user, enabled=True, every_minutes=30, top_n=2, min_score=0.5)
    Schedule.objects.create(owner=other_user, enabled=False)
    assert motherai_cycle() == 1  # the enabled one, never run before
    decision = Decision.objects.get()
    assert (decision.owner, decision.trigger) == (user, "schedule")
    assert motherai_cycle() == 0  # claimed: not due again for 30 minutes
    Schedule.objects.filter(owner=user).update(last_run_at=timezone.now() - timedelta(minutes=31))
    assert motherai_cycle() == 1 and Decision.objects.count() == 2


def test_a_schedule_is_claimed_by_one_beat_only(user):
    schedule = Schedule.objects.create(owner=user, enabled=True)
    now = timezone.now()
    stale = Schedule.objects.get(pk=schedule.pk)  # what a second beat read before the claim
    assert schedules_enqueue_due(Schedule, motherai_schedule_run, now) == 1
    claimed = Schedule.objects.filter(pk=stale.pk, last_run_at=stale.last_run_at).update(
        last_run_at=now
    )
    assert claimed == 0 and Decision.objects.count() == 1


def test_a_schedule_turned_off_after_its_claim_does_not_run(user):
    schedule = Schedule.objects.create(owner=user, enabled=False)
    assert motherai_schedule_run(schedule.pk) is None and not Decision.objects.exists()
