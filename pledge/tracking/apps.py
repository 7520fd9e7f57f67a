from django.apps import AppConfig


class TrackingConfig(AppConfig):
    """Consent to cookies, the request log, the beacon's ingest, attribution and rollups."""

    name = "pledge.tracking"

    def ready(self) -> None:
        from pledge.tracking import expiry, providers  # noqa: F401  (providers register on import)

        expiry.register()
