from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """The data inventory: the site's practice as declarations; the policies rendered from it."""

    name = "pledge.inventory"

    def ready(self) -> None:
        from pledge.inventory import checks  # noqa: F401  (registers the inventory check)
