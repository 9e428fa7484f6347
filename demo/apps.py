from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run`: composes every other app, so nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
