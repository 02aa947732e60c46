"""`load_demo` on the full stack: PostgreSQL, a broker configured and no worker running.

The demo loader used to switch jobs to inline by editing settings.JOBS_EAGER_MODE at run
time, which does nothing once a broker is configured: the README's
`docker compose exec web python manage.py load_demo` failed with "demo model BTCUSDT 1h
failed:". Jobs enqueued inside `jobs_inline()` now run in the loading process whatever the
broker, and nothing is left in the broker for a worker to pick up later."""

import pytest
from django.core.management import call_command

from apps.backtests.models import BacktestRun
from apps.core.jobs import JobStatus
from apps.ml.models import TrainedModel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_without_workers(settings):
    from tradingsite.celery import app

    app.control.purge()
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert not app.control.ping(timeout=0.5), "a worker is running"
    yield app
    app.conf.task_always_eager = True


def test_load_demo_runs_its_jobs_with_a_broker_and_no_worker(broker_without_workers):
    call_command("load_demo")
    models = TrainedModel.objects.all()
    assert models.count() >= 2 and all(m.status == JobStatus.SUCCEEDED for m in models)
    assert BacktestRun.objects.filter(status=JobStatus.SUCCEEDED).count() == 1
    # Nothing was sent to the broker: no worker will find a stale message later.
    with broker_without_workers.connection_for_write() as conn:
        assert conn.default_channel.client.llen("celery") == 0
