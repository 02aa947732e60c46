from django.apps import AppConfig


class BinanceConfig(AppConfig):
    name = "apps.binance"
    label = "binance"
    verbose_name = "Binance"
