from django.apps import AppConfig


class MotheraiConfig(AppConfig):
    name = "apps.motherai"
    label = "motherai"
    verbose_name = "Mother AI"
