from django.apps import AppConfig


class TrackingConfig(AppConfig):
    """Consent to cookies, the request log, the beacon's ingest, attribution and rollups."""

    name = "pledge.tracking"

    def ready(self) -> None:
        from pledge.tracking import providers  # noqa: F401  (registers with people's registry)
