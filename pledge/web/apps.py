from django.apps import AppConfig


class WebConfig(AppConfig):
    """The public site: pages and forms, views and templates only."""

    name = "pledge.web"
