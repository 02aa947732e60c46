import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingsite.settings.local")
application = get_asgi_application()

# The embedded default (no broker) runs jobs in this process: start its reaper now that
# the process serves (a job a killed predecessor left running is requeued or failed).
from apps.core.jobs import jobs_embedded_start  # noqa: E402 - needs the apps loaded

jobs_embedded_start()
from apps.replay.ticker import replay_ticker_start  # noqa: E402 - the replay clock

replay_ticker_start()
