from django.apps import AppConfig


class PledgeConfig(AppConfig):
    """The project itself: configuration checks and the serve, worker and demo commands."""

    name = "pledge"
    verbose_name = "Pledge"

    def ready(self) -> None:
        from pledge import checks  # noqa: F401  (registers the configuration checks)
