from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """The site's forms and their submissions: declared fields only, spam defence, minors."""

    name = "pledge.intake"
