"""Opening a person or an organisation in the console: who may, and what they then see.

The privacy officer (``view_person``) may open anyone; a sales expert only the people of their
own leads; every opening is audited (P22). The timeline lists everything held about the person
in time order, each record with its source and the policy version it was collected under.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from pledge.intake.models import Submission
from pledge.mail.models import Message
from pledge.meetings.leads import person_visible_to_expert
from pledge.meetings.models import Lead, Meeting
from pledge.people.models import OptOutChannel, OptOutKind, Organization, Person
from pledge.people.optouts import opt_out_lift, opt_out_set
from pledge.people.registry import providers
from pledge.vault.access import access_require, has_access, refuse
from pledge.vault.audit import audit_record


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # submission, consent, email, lead, meeting
    title: str
    detail: str = ""
    source: str = ""
    policy_version: int | None = None
    link: str = ""


def person_open(*, person: Person, actor, reason: str = "") -> Person:
    """Let ``actor`` see ``person``'s personal data, and record that they did."""
    allowed = has_access(actor, "view_person") or (
        has_access(actor, "work_own_leads") and person_visible_to_expert(person, actor)
    )
    if not allowed:
        refuse(actor, "view_person", target=person)
    audit_record(actor=actor, action="person.viewed", target=person, reason=reason)
    return person


def person_timeline(person: Person) -> list[Event]:
    """Everything held about ``person``, newest first (call after ``person_open``)."""
    events = [
        Event(
            at=submission.created_at,
            kind="submission",
            title=submission.form,
            detail=", ".join(
                f"{key}: {value}" for key, value in sorted(submission.answers.items())
            ),
            source=submission.source,
            policy_version=submission.policy_version,
        )
        for submission in Submission.objects.filter(person=person)
    ]
    events += [
        Event(
            at=consent.created_at,
            kind="consent",
            title=("+ " if consent.granted else "- ") + consent.subject,
            detail=consent.text,
            source=consent.get_method_display(),
            policy_version=consent.policy_version,
        )
        for consent in person.consents.all()
    ]
    events += [
        Event(
            at=message.created_at,
            kind="email",
            title=message.subject,
            detail=message.get_status_display(),
            source=message.kind,
        )
        for message in Message.objects.filter(person=person)
    ]
    events += [
        Event(
            at=lead.created_at,
            kind="lead",
            title=lead.form,
            detail=lead.get_status_display(),
            link=str(lead.public_id),
        )
        for lead in Lead.objects.filter(person=person)
    ]
    events += [
        Event(
            at=meeting.starts_at,
            kind="meeting",
            title=meeting.get_mode_display(),
            detail=f"{meeting.get_status_display()} · {meeting.expert.display_name}",
        )
        for meeting in Meeting.objects.filter(lead__person=person).select_related("expert")
    ]
    # What other apps link to the person (tracking's stitched visits and cookie consents, P10).
    events += [
        Event(at=entry.at, kind=entry.kind, title=entry.summary, source=entry.provider)
        for provider in providers()
        if provider.timeline is not None
        for entry in provider.timeline(person)
    ]
    return sorted(events, key=lambda event: event.at, reverse=True)


def do_not_contact_set(
    *,
    value: bool,
    actor,
    person: Person | None = None,
    organization: Organization | None = None,
    reason: str = "",
) -> None:
    """Mark a person, or a whole organisation, as not to be contacted (P01), or clear it.

    The privacy officer and the administrator may; an expert may for the people of their own
    leads, who often say it to them first.
    """
    target = person or organization
    allowed = has_access(actor, "view_person") or has_access(actor, "view_all_leads")
    if person is not None and not allowed:
        allowed = has_access(actor, "work_own_leads") and person_visible_to_expert(person, actor)
    if not allowed:
        refuse(actor, "view_person", target=target)
    subject = {"person": person} if person is not None else {"organization": organization}
    with transaction.atomic():
        # One record of opt-outs, with who and when, whichever page set it (people.OptOut).
        if value:
            opt_out_set(
                kind=OptOutKind.DO_NOT_CONTACT, actor=actor, channel=OptOutChannel.STAFF, **subject
            )
        else:
            opt_out_lift(kind=OptOutKind.DO_NOT_CONTACT, actor=actor, **subject)
        audit_record(
            actor=actor,
            action="do_not_contact.set" if value else "do_not_contact.cleared",
            target=target,
            reason=reason,
        )


def organization_open(*, organization: Organization, actor) -> Organization:
    """An organisation's page lists its people: the privacy officer's view (P01 covers it)."""
    access_require(actor, "view_person", target=organization)
    audit_record(actor=actor, action="organization.viewed", target=organization)
    return organization
