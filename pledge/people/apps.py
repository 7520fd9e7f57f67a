from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """People, organisations, visitors, consents and opt-outs, and the purpose gate."""

    name = "pledge.people"
