from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data: a shop with a year of customers, orders, points, tiers and groups. It fills
    every app, so it sits above them all and nothing imports it."""

    name = "demo"
    verbose_name = "Demo"
