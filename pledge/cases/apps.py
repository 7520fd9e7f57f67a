from django.apps import AppConfig


class CasesConfig(AppConfig):
    """Data-subject requests and complaints as cases with deadlines; the portal's links;
    the access export and erasure that walk the personal data registry."""

    name = "pledge.cases"

    def ready(self) -> None:
        from pledge.cases.providers import register

        register()

        from pledge.cases import expiry

        expiry.register()
