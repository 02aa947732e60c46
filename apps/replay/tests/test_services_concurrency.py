"""On PostgreSQL: concurrent steps of one session (two ticks, a tick and a click) advance
it once per call that wins the row lock, never twice for the same decision times."""

import threading

import pytest
from django.db import connection

from apps.replay.models import ReplayStep
from apps.replay.services import replay_advance, replay_control

from .test_replay import _session, desk  # noqa: F401 - the fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_concurrent_due_ticks_advance_a_session_once(user, desk):  # noqa: F811
    session = _session(user, desk, bars_per_step=3, step_seconds=3600)
    replay_control(session=session, action="start")
    barrier = threading.Barrier(4)
    results = []

    def tick():
        try:
            barrier.wait()
            results.append(replay_advance(session_id=session.pk, due_only=True))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One tick is due; the others find the interval not yet passed under the lock.
    assert sorted(results) == [0, 0, 0, 3]
    session.refresh_from_db()
    assert session.steps_done == 3
    assert list(ReplayStep.objects.filter(session=session).values_list("seq", flat=True)) == [
        0,
        1,
        2,
    ]


def test_concurrent_clicks_each_take_their_own_step(user, desk):  # noqa: F811
    session = _session(user, desk, bars_per_step=2)
    barrier = threading.Barrier(3)

    def click():
        try:
            barrier.wait()
            replay_advance(session_id=session.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.refresh_from_db()
    seqs = list(ReplayStep.objects.filter(session=session).values_list("seq", flat=True))
    assert session.steps_done == 6 and seqs == list(range(6))
