from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    """Sales: the lead inbox, experts and their availability, demo bookings and invites (P25)."""

    name = "pledge.meetings"

    def ready(self) -> None:
        from pledge.intake.signals import submission_stored
        from pledge.meetings.leads import lead_from_submission

        submission_stored.connect(lead_from_submission, dispatch_uid="meetings.lead")
