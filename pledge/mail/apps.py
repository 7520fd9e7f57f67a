from django.apps import AppConfig


class MailConfig(AppConfig):
    """Every email Pledge sends: rendered per language, queued, delivered, kept for the timeline."""

    name = "pledge.mail"

    def ready(self) -> None:
        from pledge.mail.providers import register

        register()

        from pledge.mail import expiry

        expiry.register()
