from django.apps import AppConfig


class InboxConfig(AppConfig):
    """The service mailbox, read by Pledge: bounces, complaints, unsubscribes, requests."""

    name = "pledge.inbox"

    def ready(self) -> None:
        from pledge.inbox.providers import register

        register()

        from pledge.inbox import expiry

        expiry.register()
