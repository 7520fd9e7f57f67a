from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """The site's forms and their submissions: declared fields only, spam defence, minors."""

    name = "pledge.intake"

    def ready(self) -> None:
        from pledge.intake.providers import register
        from pledge.intake.uploads import uploads_rotate, uploads_stale
        from pledge.vault.rotation import file_rotation_register

        register()
        from pledge.intake import expiry

        expiry.register()
        file_rotation_register(
            "intake uploads", stale=lambda: len(uploads_stale()), rotate=uploads_rotate
        )
