from django.apps import AppConfig


class HaravanConfig(AppConfig):
    name = "haravan"
    verbose_name = "Haravan"
