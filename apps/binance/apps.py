from django.apps import AppConfig


class BinanceConfig(AppConfig):
    name = "apps.binance"
    label = "binance"
    verbose_name = "Binance"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy check of the keys
