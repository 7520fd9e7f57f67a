from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """People, organisations, visitors, consents and opt-outs, and the purpose gate."""

    name = "pledge.people"

    def ready(self) -> None:
        from pledge.people import checks  # noqa: F401  (registers the registry's system check)
        from pledge.people.providers import register

        register()

        from pledge.people import expiry

        expiry.register()  # how long people's own records live (pledge purge)
