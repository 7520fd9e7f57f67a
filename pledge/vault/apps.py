from django.apps import AppConfig


class VaultConfig(AppConfig):
    """Personal data at rest: encryption, blind indexes and the tamper-evident audit log."""

    name = "pledge.vault"
