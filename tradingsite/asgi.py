import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingsite.settings.local")
application = get_asgi_application()

# Needs the apps loaded: the embedded default's in-process job reaper and replay clock.
from tradingsite.serving import serving_start  # noqa: E402

serving_start()
