from django.apps import AppConfig


class DeskBacktestsConfig(AppConfig):
    name = "apps.deskbt"
    label = "deskbt"
    verbose_name = "Desk backtests"
