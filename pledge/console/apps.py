from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The staff console: views and templates only."""

    name = "pledge.console"
