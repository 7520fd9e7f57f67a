from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class VaultConfig(AppConfig):
    """Personal data at rest: encryption, blind indexes and the tamper-evident audit log."""

    name = "pledge.vault"

    def ready(self) -> None:
        from pledge.vault.access import roles_sync

        post_migrate.connect(roles_sync, sender=self)
        checks.register(key_ring_check, checks.Tags.security)


def key_ring_check(app_configs, **kwargs):
    """A key ring that cannot be read stops start-up with the fix (not a 500 at first use)."""
    from django.conf import settings

    from pledge.vault.keys import KeyRingError, ring_from

    if not settings.PLEDGE_KEYS:
        return []  # reported by pledge.checks with the production settings
    try:
        ring_from(settings.PLEDGE_KEYS)
    except KeyRingError as error:
        return [checks.Error(str(error), id="vault.E001", obj="PLEDGE_KEYS")]
    return []
