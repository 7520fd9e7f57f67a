"""How long sales records live, for ``pledge purge`` (``pledge.people.retention``): a lead, its
notes and its meetings go ``[retention.sales]`` after our last contact with the person."""

from django.utils.translation import gettext_lazy as _

from pledge.meetings.models import Lead, Meeting
from pledge.people.retention import (
    RetentionRule,
    contact_register,
    cutoff,
    not_contacted_since,
    reason_register,
    rule_register,
    without_held,
)


def leads_expired(now):
    since = cutoff("sales", now)
    return without_held(not_contacted_since(Lead.objects.filter(created_at__lt=since), since))


def met_since(since):
    """People we met (or will meet) from ``since`` on: a meeting is a contact."""
    return Meeting.objects.filter(starts_at__gte=since).values("lead__person_id")


def register() -> None:
    contact_register("meetings.meetings", met_since)
    reason_register("meetings.leads", lambda: Lead.objects.values("person_id"))
    rule_register(
        RetentionRule(
            key="meetings.leads",
            title=_("Leads, their notes and meetings"),
            models=("meetings.Lead", "meetings.LeadNote", "meetings.Meeting"),
            declarations=("sales",),
            expired=leads_expired,
            order=40,  # before the submissions they were made of
        )
    )
