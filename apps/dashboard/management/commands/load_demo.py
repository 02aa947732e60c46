from django.conf import settings
from django.core.management.base import BaseCommand

from apps.dashboard.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo data (real candles, demo user, ...). Idempotent."

    def handle(self, *args, **options):
        report = demo_load()
        for line in report.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready. Sign in as {settings.DEMO_USERNAME} / {settings.DEMO_PASSWORD}"
            )
        )
