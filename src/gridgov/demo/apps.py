from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The deterministic demo town (`gridgov demo`); sits on top of every other app."""

    name = "gridgov.demo"
    label = "demo"
