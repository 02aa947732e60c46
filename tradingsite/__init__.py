"""tradingsite: the Django project. Importing it loads the Celery app so shared tasks bind to it."""

from .celery import app as celery_app

__version__ = "0.1.0"
__all__ = ["celery_app", "__version__"]
