"""Replay's clock on Celery: beat calls ``replay.tick`` every REPLAY_TICK_SECONDS; it sends
``replay.step`` for each running session whose step interval has passed. A step re-checks
that under the session's row lock, so a duplicate tick or message does nothing."""

from celery import shared_task

from .services import replay_advance, replay_tick


@shared_task(name="replay.step")
def replay_step(session_id: int) -> int:
    return replay_advance(session_id=session_id, due_only=True)


@shared_task(name="replay.tick")
def replay_tick_task() -> int:
    return replay_tick(send=replay_step.delay)
