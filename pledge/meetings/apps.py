from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    """Sales: the lead inbox, experts and their availability, demo bookings and invites (P25)."""

    name = "pledge.meetings"

    def ready(self) -> None:
        from pledge.intake.signals import submission_stored
        from pledge.meetings.leads import lead_from_submission

        submission_stored.connect(lead_from_submission, dispatch_uid="meetings.lead")

        from pledge.meetings.providers import register

        register()  # leads, notes and meetings: export, erasure, and their timeline entries

        from pledge.meetings import expiry

        expiry.register()

        from pledge.meetings.leads import person_access_through_leads
        from pledge.people.registry import person_access_register

        # An expert opens the people of their own leads (people's person page knows no leads).
        person_access_register("meetings.leads", person_access_through_leads)
