"""Sales' personal data: the leads made of a person's forms, staff notes on them, and the
demos booked (P25). Registered with people's registry from ``MeetingsConfig.ready``.

A lead hangs off its submission, so this provider erases before intake's (``order=50``): the
counts then say what went, rather than vanishing in intake's cascade.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pledge.inventory import labels
from pledge.meetings.models import Lead, LeadNote, Meeting
from pledge.meetings.scheduling import meeting_withdraw_for_erasure
from pledge.people.registry import PersonalDataProvider, TimelineEntry, provider_register, when


def leads_of(person):
    return Lead.objects.filter(person_id=person.pk)


def leads_export(person) -> list[dict]:
    records = []
    for lead in leads_of(person).select_related("owner").order_by("created_at", "id"):
        records.append(
            {
                "record": "lead",
                "form": lead.form,
                "status": lead.status,
                "expert": lead.owner.display_name if lead.owner else "",
                "at": when(lead.created_at),
            }
        )
        for note in LeadNote.objects.filter(lead=lead):
            records.append({"record": "note", "text": note.text, "at": when(note.created_at)})
        for meeting in Meeting.objects.filter(lead=lead).order_by("starts_at"):
            records.append(
                {
                    "record": "meeting",
                    "mode": meeting.mode,
                    "starts_at": when(meeting.starts_at),
                    "ends_at": when(meeting.ends_at),
                    "location": meeting.location,
                    "visitor_timezone": meeting.visitor_timezone,
                    "status": meeting.status,
                    "at": when(meeting.created_at),
                }
            )
    return records


def leads_timeline(person) -> list[TimelineEntry]:
    """Each lead made of the person's forms (a link to its page), and each demo booked."""
    entries = [
        TimelineEntry(
            at=lead.created_at,
            kind="lead",
            summary=labels.form_name(lead.form),
            detail=lead.get_status_display(),
            link=reverse("console:lead", args=[lead.public_id]),
        )
        for lead in leads_of(person)
    ]
    entries += [
        TimelineEntry(
            at=meeting.starts_at,
            kind="meeting",
            summary=meeting.get_mode_display(),
            detail=f"{meeting.get_status_display()} · {meeting.expert.display_name}",
        )
        for meeting in Meeting.objects.filter(lead__person_id=person.pk).select_related("expert")
    ]
    return entries


def leads_erase(person) -> int:
    """Leads, their notes and their meetings; an upcoming demo is first called off in the
    expert's calendar (a CANCEL that names no one)."""
    leads = leads_of(person)
    for meeting in Meeting.objects.filter(lead__in=leads).select_related("expert__user"):
        meeting_withdraw_for_erasure(meeting)
    notes, _ = LeadNote.objects.filter(lead__in=leads).delete()
    meetings, _ = Meeting.objects.filter(lead__in=leads).delete()
    removed, _ = leads.delete()
    return removed + notes + meetings


def register() -> None:
    provider_register(
        PersonalDataProvider(
            key="meetings.leads",
            title=_("Demos and sales contacts"),
            description=_(
                "What our sales team made of your forms: the expert in charge, their notes, and "
                "the demos booked with you."
            ),
            models=("meetings.Lead", "meetings.LeadNote", "meetings.Meeting"),
            export=leads_export,
            erase=leads_erase,
            timeline=leads_timeline,
            labels={
                "record": _("Record"),
                "form": _("Form"),
                "status": _("Status"),
                "expert": _("Expert"),
                "text": _("Note"),
                "mode": _("How"),
                "starts_at": _("Starts"),
                "ends_at": _("Ends"),
                "location": _("Where"),
                "visitor_timezone": _("Your time zone"),
                "at": _("When"),
            },
            order=50,
        )
    )
