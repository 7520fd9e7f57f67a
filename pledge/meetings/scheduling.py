"""Demo scheduling (P25): slots from the expert's week, booking without double booking, invites.

The visitor who asked for a demo gets a private link (its hash is kept on the lead). On that
page they see the assigned expert's free slots that fit the times they said suit them, pick one,
and later reschedule or cancel from the same link, without an account. Every change emails both
sides in their language with an iCalendar invite whose UID stays and whose SEQUENCE grows, so
calendars update the same event. The visitor's answers from the form travel with the meeting.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pledge.dates import site_zone
from pledge.inventory.loader import current_inventory
from pledge.mail.services import mail_send
from pledge.meetings.invites import invite_ics
from pledge.meetings.models import Expert, Lead, LeadStatus, Meeting, MeetingMode, MeetingStatus
from pledge.people.gate import Decision, may
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record
from pledge.vault.tokens import link_token, link_token_hash

MEETING_MINUTES = 60
HORIZON_DAYS = 14
MINIMUM_NOTICE = timedelta(hours=12)
REMIND_BEFORE = timedelta(hours=24)
# The demo form's "times that suit you", in the site's time zone (inventory: preferred_times).
DAY_PARTS = {
    "weekday_morning": (time(9), time(12)),
    "weekday_afternoon": (time(13), time(18)),
    "weekday_evening": (time(18), time(20)),
}


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> str:
        return self.starts_at.astimezone(zoneinfo.ZoneInfo("UTC")).strftime("%Y%m%dT%H%M")


def lead_by_token(token: str) -> Lead | None:
    return (
        Lead.objects.filter(booking_token_hash=link_token_hash(token))
        .select_related("owner", "person", "submission")
        .first()
    )


def fits(slot: Slot, preferences: list[str]) -> bool:
    """Whether the slot lies wholly inside one of the day parts the visitor chose, on a
    weekday, in the site's zone (a slot ending at midnight ends on the next day)."""
    zone = site_zone()
    starts, ends = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    if starts.weekday() >= 5:
        return False
    return any(
        datetime.combine(starts.date(), DAY_PARTS[part][0], tzinfo=zone) <= starts
        and ends <= datetime.combine(starts.date(), DAY_PARTS[part][1], tzinfo=zone)
        for part in preferences
        if part in DAY_PARTS
    )


def expert_slots(expert: Expert, *, now: datetime | None = None, exclude: Meeting | None = None):
    """Free slots of ``expert`` over the next two weeks, in order; booked meetings left out."""
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(expert.time_zone)
    booked = Meeting.objects.filter(
        expert=expert, status=MeetingStatus.BOOKED, ends_at__gt=now
    ).exclude(pk=exclude.pk if exclude else None)
    busy = [(meeting.starts_at, meeting.ends_at) for meeting in booked]
    windows = list(expert.availability.all())
    today = now.astimezone(zone).date()
    length = timedelta(minutes=MEETING_MINUTES)
    slots = []
    for offset in range(HORIZON_DAYS + 1):
        day = today + timedelta(days=offset)
        for window in windows:
            if window.weekday != day.weekday():
                continue
            start = datetime.combine(day, window.start, tzinfo=zone)
            end = datetime.combine(day, window.end, tzinfo=zone)
            while start + length <= end:
                if start >= now + MINIMUM_NOTICE and not any(
                    start < busy_end and start + length > busy_start
                    for busy_start, busy_end in busy
                ):
                    slots.append(Slot(start, start + length))
                start += length
    return sorted(slots, key=lambda slot: slot.starts_at)


def lead_slots(lead: Lead, *, exclude: Meeting | None = None) -> tuple[list[Slot], bool]:
    """The owner's free slots, those fitting the visitor's times first; (slots, all_fit)."""
    if lead.owner is None:
        return [], False
    slots = expert_slots(lead.owner, exclude=exclude)
    preferences = lead.submission.answers.get("preferred_times") or []
    fitting = [slot for slot in slots if fits(slot, preferences)]
    return (fitting, True) if fitting else (slots, False)


def request_answer_allowed(lead: Lead) -> Decision:
    """Whether we may contact the lead's person to answer the request they sent (P11, P25).

    Arranging the demo they asked for answers their request: it needs the purposes their form
    declares for that (``request_purposes``, what sending it was consent to, PIPL Art. 14), never
    consent to sales follow-up, which contacting them beyond the request needs (``"sales"``).
    Do-not-contact, of the person or their organisation, stops it as it stops every contact (P01).
    """
    person = lead.person
    if person.do_not_contact:
        return Decision(False, _("the person asked not to be contacted (P01)"))
    if person.organization_id and person.organization.do_not_contact:
        return Decision(False, _("the person's organisation asked not to be contacted (P01)"))
    collection = current_inventory().forms.get(lead.form)
    purposes = collection.request_purposes if collection is not None else ()
    if not purposes:
        return Decision(False, _("the form declares no purpose for answering its request"))
    for use in purposes:
        decision = may(person, use)
        if not decision:
            return decision
    return decision


def booking_invitation_send(*, lead: Lead) -> bool:
    """Email the visitor their private booking link, if an expert has their lead (P25): the
    demo they asked for, so their request's purposes allow it, not a sales consent.

    A person or organisation on do-not-contact gets nothing (P01): staff see it on the lead.
    """
    if lead.owner is None or not request_answer_allowed(lead):
        return False
    token, lead.booking_token_hash = link_token()
    lead.save(update_fields=["booking_token_hash"])
    mail_send(
        kind="booking_invitation",
        to=lead.person.email,
        language=lead.language,
        # The address is not confirmed yet: the email echoes nothing the form's sender wrote.
        context={"expert": lead.owner.display_name},
        links={"link": reverse("web:booking", args=[token])},
        actor=Actor.system("meetings.notify"),
        person=lead.person,
    )
    return True


def booking_invitation_resend(*, lead: Lead, actor) -> None:
    """Staff send the visitor a fresh booking link (the old one stops working); audited."""
    from pledge.meetings.leads import lead_access_check

    lead_access_check(lead, actor)
    if lead.owner is None:
        raise ValidationError(_("Assign an expert first: the link offers that expert's hours."))
    decision = request_answer_allowed(lead)
    if not decision:
        raise ValidationError(
            _("No link was sent: %(reason)s. Clear do-not-contact first if they ask again.")
            % {"reason": decision.reason}
        )
    with transaction.atomic():
        booking_invitation_send(lead=lead)
        audit_record(actor=actor, action="lead.booking_link_sent", target=lead)


def location_for(expert: Expert, mode: str, meeting: Meeting | None = None) -> str:
    if mode == MeetingMode.IN_PERSON:
        return expert.office_address or current_inventory().organization.domain
    return (
        expert.meeting_link or f"https://{current_inventory().organization.domain}/meet/{expert.pk}"
    )


def slot_for(lead: Lead, key: str, *, exclude: Meeting | None = None) -> Slot:
    for slot in expert_slots(lead.owner, exclude=exclude):
        if slot.key == key:
            return slot
    raise ValidationError(_("That time is no longer free. Choose another."))


def meeting_book(*, lead: Lead, slot_key: str, actor) -> Meeting:
    """Book the slot for the lead's demo; refuses a slot that is taken, even in a race."""
    if lead.owner is None:
        raise ValidationError(_("No expert is assigned yet; we will email you a link soon."))
    if lead.meetings.filter(status=MeetingStatus.BOOKED).exists():
        raise ValidationError(_("This demo is already booked. Reschedule it instead."))
    try:
        with transaction.atomic():
            Expert.objects.select_for_update().get(pk=lead.owner_id)  # one booking at a time
            slot = slot_for(lead, slot_key)
            mode = lead.submission.answers.get("meeting_mode") or MeetingMode.ONLINE
            meeting = Meeting.objects.create(
                lead=lead,
                expert=lead.owner,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                mode=mode,
                location=location_for(lead.owner, mode),
            )
            if lead.status == LeadStatus.NEW:
                lead.status, lead.status_changed_at = LeadStatus.CONTACTED, timezone.now()
                lead.save(update_fields=["status", "status_changed_at"])
            audit_record(actor=actor, action="meeting.booked", target=meeting)
            invites_send(meeting, kind="meeting_confirmed", method="REQUEST")
    except IntegrityError:
        raise ValidationError(
            _("That time was just taken by someone else. Choose another.")
        ) from None
    return meeting


def meeting_reschedule(*, meeting: Meeting, slot_key: str, actor) -> Meeting:
    if meeting.status != MeetingStatus.BOOKED:
        raise ValidationError(_("This meeting was cancelled. Book a new time instead."))
    try:
        with transaction.atomic():
            Expert.objects.select_for_update().get(pk=meeting.expert_id)
            slot = slot_for(meeting.lead, slot_key, exclude=meeting)
            meeting.starts_at, meeting.ends_at = slot.starts_at, slot.ends_at
            meeting.sequence += 1
            meeting.reminded_at = None
            meeting.save(
                update_fields=["starts_at", "ends_at", "sequence", "reminded_at", "updated_at"]
            )
            audit_record(actor=actor, action="meeting.rescheduled", target=meeting)
            invites_send(meeting, kind="meeting_rescheduled", method="REQUEST")
    except IntegrityError:
        raise ValidationError(
            _("That time was just taken by someone else. Choose another.")
        ) from None
    return meeting


def meeting_cancel(*, meeting: Meeting, actor) -> Meeting:
    if meeting.status != MeetingStatus.BOOKED:
        return meeting
    with transaction.atomic():
        meeting.status = MeetingStatus.CANCELLED
        meeting.sequence += 1
        meeting.save(update_fields=["status", "sequence", "updated_at"])
        audit_record(actor=actor, action="meeting.cancelled", target=meeting)
        invites_send(meeting, kind="meeting_cancelled", method="CANCEL")
    return meeting


def meeting_withdraw_for_erasure(meeting: Meeting) -> None:
    """The visitor's data is being erased: tell the expert the demo is off, with a CANCEL for
    their calendar. The message names no one (its record outlives the erasure)."""
    if meeting.status != MeetingStatus.BOOKED or meeting.starts_at <= timezone.now():
        return
    meeting.status = MeetingStatus.CANCELLED
    meeting.sequence += 1
    meeting.save(update_fields=["status", "sequence", "updated_at"])
    expert = meeting.expert
    ics = invite_ics(meeting, method="CANCEL", with_visitor=False)
    mail_send(
        kind="meeting_erased",
        to=expert.user.email,
        language=(expert.languages or [settings.LANGUAGE_CODE])[0],
        context={"starts_at": meeting.starts_at},
        actor=Actor.system("meetings.notify"),
        time_zone=expert.time_zone,
        attachments=[
            {"filename": "invite.ics", "content": ics, "mimetype": "text/calendar; method=CANCEL"}
        ],
    )


def invites_send(meeting: Meeting, *, kind: str, method: str) -> None:
    """Both sides, each in their language, each with the same event (UID) as an .ics file.

    The expert's copy carries the visitor's answers from the form, so nothing asked at booking
    is lost on the way to the expert or on a reschedule.
    """
    lead, expert = meeting.lead, meeting.expert
    ics = invite_ics(meeting, method=method)
    attachment = [
        {"filename": "invite.ics", "content": ics, "mimetype": f"text/calendar; method={method}"}
    ]
    context = {
        "meeting": meeting,
        "expert": expert.display_name,
        "name": lead.person.name,
        "mode": meeting.mode,
        "location": meeting.location,
        "starts_at": meeting.starts_at,
    }
    mail_send(
        kind=kind,
        to=lead.person.email,
        language=lead.language,
        context={**context, "for_expert": False},
        actor=Actor.system("meetings.notify"),
        person=lead.person,
        attachments=attachment,
    )
    expert_language = (expert.languages or [settings.LANGUAGE_CODE])[0]
    mail_send(
        kind=kind,
        to=expert.user.email,
        language=expert_language,
        context={
            **context,
            "for_expert": True,
            "answers": sorted(lead.submission.answers.items()),
            "lead_path": reverse("console:lead", args=[lead.public_id]),
        },
        actor=Actor.system("meetings.notify"),
        attachments=attachment,
        time_zone=expert.time_zone,
    )


def meetings_remind(*, now: datetime | None = None) -> int:
    """Remind both sides a day before; each meeting once (a conditional update claims it)."""
    now = now or timezone.now()
    due = Meeting.objects.filter(
        status=MeetingStatus.BOOKED,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + REMIND_BEFORE,
    ).values_list("pk", flat=True)
    sent = 0
    for meeting_id in list(due):
        with transaction.atomic():
            claimed = Meeting.objects.filter(pk=meeting_id, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            meeting = Meeting.objects.select_related("lead__person", "expert__user").get(
                pk=meeting_id
            )
            if request_answer_allowed(meeting.lead):  # the demo they booked: their request
                invites_send(meeting, kind="meeting_reminder", method="REQUEST")
                sent += 1
    return sent
