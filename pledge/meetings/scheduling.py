"""Demo scheduling (P25): slots from the expert's week, booking without double booking, invites.

The visitor who asked for a demo gets a private link (its hash is kept on the lead). On that
page they see the assigned expert's free slots that fit the times they said suit them, pick one,
and later reschedule or cancel from the same link, without an account. Every change emails both
sides in their language with an iCalendar invite whose UID stays and whose SEQUENCE grows, so
calendars update the same event. The visitor's answers from the form travel with the meeting.
"""

import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from pledge.dates import site_zone, zone_or_site
from pledge.inventory import labels
from pledge.inventory.loader import current_inventory
from pledge.mail.services import PLACEHOLDER, mail_send
from pledge.meetings.experts import time_off_intervals
from pledge.meetings.invites import invite_ics
from pledge.meetings.models import (
    ZONES,
    Expert,
    Lead,
    LeadStatus,
    Meeting,
    MeetingMode,
    MeetingStatus,
)
from pledge.people.gate import Decision, may
from pledge.people.values import CONTROL_CATEGORIES, JOINERS
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record
from pledge.vault.tokens import link_token, link_token_hash

MEETING_MINUTES = 60
HORIZON_DAYS = 14
REMIND_BEFORE = timedelta(hours=24)
MANAGE_SALT = "pledge.meetings.manage"
ZONE_NAMES = frozenset(ZONES)
REASON_MAX = 1000
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
    """The lead a booking link opens: the invitation's random token, or the manage token of a
    later email (``booking_manage_token``); None for anything else."""
    leads = Lead.objects.select_related("owner", "person", "submission")
    lead = leads.filter(booking_token_hash=link_token_hash(token)).first()
    if lead is not None:
        return lead
    try:
        payload = signing.loads(token or "", salt=MANAGE_SALT)
        lead = leads.filter(public_id=payload["l"]).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if lead is None or not lead.booking_token_hash:
        return None
    # A fresh invitation (a new hash) retires every earlier link, manage links included.
    return (
        lead if constant_time_compare(payload.get("h", ""), lead.booking_token_hash[:16]) else None
    )


def booking_manage_token(lead: Lead) -> str:
    """The token of the manage link every meeting email carries (reschedule, cancel, add to
    calendar). The invitation's token is never stored, so a reminder sent by the worker could
    not repeat it: this one is signed (``SECRET_KEY``, a salt of its own) over the lead and the
    current invitation's hash, so a stolen database opens no link either, and sending a fresh
    invitation retires it with the old one."""
    return signing.dumps(
        {"l": lead.public_id.hex, "h": lead.booking_token_hash[:16]}, salt=MANAGE_SALT
    )


def booking_links(lead: Lead, meeting: Meeting, visitor_zone: str = "") -> dict[str, str]:
    """The visitor's private links for an email about ``meeting``, as site paths in their
    language: the manage page and the meeting's calendar file, in their zone when known."""
    token = booking_manage_token(lead)
    query = f"?{urlencode({'tz': visitor_zone})}" if visitor_zone else ""
    with translation.override(lead.language):
        return {
            "manage_link": reverse("web:booking", args=[token]) + query,
            "calendar_link": reverse("web:booking_calendar", args=[token, meeting.public_id])
            + query,
        }


def zone_known(name: str) -> str | None:
    """``name`` if it is an IANA time zone this machine knows (what a visitor may choose to
    read times in), else None."""
    return name if name in ZONE_NAMES else None


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


@dataclass(frozen=True)
class SlotRules:
    """What an expert's settings take out of their weekly windows, at one instant."""

    now: datetime
    earliest: datetime  # now + their minimum notice
    busy: tuple  # (start, end) of their booked meetings
    buffer: timedelta  # kept free before and after each meeting
    away: tuple  # (start, end) of their exceptions: holidays, days off, hours off


def slot_rules(
    expert: Expert, *, now: datetime, last_day, exclude: Meeting | None = None
) -> SlotRules:
    """The expert's rules from ``now`` to the end of ``last_day`` (a day of their zone)."""
    buffer = timedelta(minutes=expert.buffer_minutes)
    booked = Meeting.objects.filter(
        expert=expert, status=MeetingStatus.BOOKED, ends_at__gt=now - buffer
    ).exclude(pk=exclude.pk if exclude else None)
    today = now.astimezone(zoneinfo.ZoneInfo(expert.time_zone)).date()
    return SlotRules(
        now=now,
        earliest=now + timedelta(hours=expert.notice_hours),
        busy=tuple((meeting.starts_at, meeting.ends_at) for meeting in booked),
        buffer=buffer,
        away=tuple(time_off_intervals(expert, today - timedelta(days=1), last_day)),
    )


def slot_refusal(slot: Slot, rules: SlotRules) -> str | None:
    """Why the slot cannot be booked under the rules, in words for the visitor; None if it
    can. Booking asks again under the expert's lock, so what the page offered is re-checked."""

    def overlaps(intervals, margin=timedelta(0)):
        return any(
            slot.starts_at < end + margin and slot.ends_at > start - margin
            for start, end in intervals
        )

    if slot.starts_at <= rules.now:  # gone by, or made up
        return _("That time is no longer free. Choose another.")
    if slot.starts_at < rules.earliest:
        return _("That time is too soon: the expert needs more notice. Choose a later time.")
    if overlaps(rules.away):
        return _("The expert is away at that time. Choose another day or time.")
    if overlaps(rules.busy):
        return _("That time is no longer free. Choose another.")
    if overlaps(rules.busy, rules.buffer):
        return _("That time is too close to another of the expert's meetings. Choose another.")
    return None


def expert_slots(expert: Expert, *, now: datetime | None = None, exclude: Meeting | None = None):
    """Free slots of ``expert`` for two weeks from the first day their notice allows, in
    order: inside their weekly windows, never on their days off, never within their buffer of
    a booked meeting, never sooner than their minimum notice."""
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(expert.time_zone)
    today = now.astimezone(zone).date()
    first_day = max(today, (now + timedelta(hours=expert.notice_hours)).astimezone(zone).date())
    last_day = first_day + timedelta(days=HORIZON_DAYS)
    rules = slot_rules(expert, now=now, last_day=last_day, exclude=exclude)
    windows = list(expert.availability.all())
    length = timedelta(minutes=MEETING_MINUTES)
    slots = []
    for offset in range((last_day - today).days + 1):
        day = today + timedelta(days=offset)
        for window in windows:
            if window.weekday != day.weekday():
                continue
            start = datetime.combine(day, window.start, tzinfo=zone)
            end = datetime.combine(day, window.end, tzinfo=zone)
            while start + length <= end:
                slot = Slot(start, start + length)
                if slot_refusal(slot, rules) is None:
                    slots.append(slot)
                start += length
    return sorted(slots, key=lambda slot: slot.starts_at)


def lead_slots(lead: Lead, *, exclude: Meeting | None = None) -> tuple[list[Slot], bool]:
    """The free slots of whoever would hold the meeting, those fitting the visitor's times
    first; (slots, all_fit). A booked meeting being moved (``exclude``) stays with its own
    expert, even if the lead has passed to another since; a new one goes to the lead's owner."""
    expert = exclude.expert if exclude is not None else lead.owner
    if expert is None:
        return [], False
    slots = expert_slots(expert, exclude=exclude)
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


def slot_for(expert: Expert, key: str, *, exclude: Meeting | None = None) -> Slot:
    """The offered slot ``key`` names, checked again now under ``expert``'s settings as they
    are (read afresh under the booking's lock); refused with the rule it breaks."""
    now = timezone.now()
    for slot in expert_slots(expert, now=now, exclude=exclude):
        if slot.key == key:
            return slot
    raise ValidationError(
        key_refusal(expert, key, now=now, exclude=exclude)
        or _("That time is no longer free. Choose another.")
    )


def key_refusal(expert: Expert, key: str, *, now: datetime, exclude: Meeting | None) -> str | None:
    """Which of the expert's rules refuses the slot a (possibly stale) page offered."""
    try:
        starts_at = datetime.strptime(key, "%Y%m%dT%H%M").replace(tzinfo=zoneinfo.ZoneInfo("UTC"))
    except (TypeError, ValueError):
        return None
    slot = Slot(starts_at, starts_at + timedelta(minutes=MEETING_MINUTES))
    last_day = slot.ends_at.astimezone(zoneinfo.ZoneInfo(expert.time_zone)).date()
    return slot_refusal(slot, slot_rules(expert, now=now, last_day=last_day, exclude=exclude))


def meeting_book(*, lead: Lead, slot_key: str, actor, visitor_zone: str = "") -> Meeting:
    """Book the slot for the lead's demo; refuses a slot that is taken, even in a race.
    ``visitor_zone``: the zone the visitor chose the time in; their emails read in it."""
    if lead.owner is None:
        raise ValidationError(_("No expert is assigned yet; we will email you a link soon."))
    if lead.meetings.filter(status=MeetingStatus.BOOKED).exists():
        raise ValidationError(_("This demo is already booked. Reschedule it instead."))
    try:
        with transaction.atomic():
            # One booking at a time per expert, checked against their settings as they are now.
            expert = Expert.objects.select_for_update().get(pk=lead.owner_id)
            slot = slot_for(expert, slot_key)
            mode = lead.submission.answers.get("meeting_mode") or MeetingMode.ONLINE
            meeting = Meeting.objects.create(
                lead=lead,
                expert=lead.owner,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                mode=mode,
                location=location_for(lead.owner, mode),
                visitor_timezone=zone_known(visitor_zone) or "",
            )
            if lead.status == LeadStatus.NEW:
                lead.status, lead.status_changed_at = LeadStatus.CONTACTED, timezone.now()
                lead.save(update_fields=["status", "status_changed_at"])
            audit_record(actor=actor, action="meeting.booked", target=meeting)
            invites_send(
                meeting, kind="meeting_confirmed", method="REQUEST", visitor_zone=visitor_zone
            )
    except IntegrityError:
        raise ValidationError(
            _("That time was just taken by someone else. Choose another.")
        ) from None
    return meeting


def meeting_reschedule(
    *, meeting: Meeting, slot_key: str, actor, visitor_zone: str = ""
) -> Meeting:
    if meeting.status != MeetingStatus.BOOKED:
        raise ValidationError(_("This meeting was cancelled. Book a new time instead."))
    try:
        with transaction.atomic():
            # The meeting stays with its expert: their hours, rules and other meetings decide.
            expert = Expert.objects.select_for_update().get(pk=meeting.expert_id)
            slot = slot_for(expert, slot_key, exclude=meeting)
            meeting.starts_at, meeting.ends_at = slot.starts_at, slot.ends_at
            meeting.sequence += 1
            meeting.reminded_at = None
            meeting.visitor_timezone = zone_known(visitor_zone) or meeting.visitor_timezone
            meeting.save(
                update_fields=[
                    "starts_at",
                    "ends_at",
                    "sequence",
                    "reminded_at",
                    "visitor_timezone",
                    "updated_at",
                ]
            )
            audit_record(actor=actor, action="meeting.rescheduled", target=meeting)
            invites_send(
                meeting, kind="meeting_rescheduled", method="REQUEST", visitor_zone=visitor_zone
            )
    except IntegrityError:
        raise ValidationError(
            _("That time was just taken by someone else. Choose another.")
        ) from None
    return meeting


def cancel_reason_clean(reason: str) -> str:
    """The visitor's optional reason for cancelling, as the expert and the audit log get it:
    at most ``REASON_MAX`` characters, line breaks kept, other controls and bidirectional
    overrides dropped (SECURITY.md I5)."""
    kept = "".join(
        character
        for character in reason.replace("\r\n", "\n")
        if character == "\n"
        or unicodedata.category(character) not in CONTROL_CATEGORIES
        or character in JOINERS
    )
    return kept.strip()[:REASON_MAX]


def meeting_cancel(*, meeting: Meeting, actor, reason: str = "", visitor_zone: str = "") -> Meeting:
    """Call the demo off. The optional ``reason``, the visitor's own words, reaches only the
    expert's email, which erasure reaches; the audit log, sealed and kept after an erasure,
    notes only that a reason was given."""
    if meeting.status != MeetingStatus.BOOKED:
        return meeting
    reason = cancel_reason_clean(reason)
    with transaction.atomic():
        meeting.status = MeetingStatus.CANCELLED
        meeting.sequence += 1
        meeting.save(update_fields=["status", "sequence", "updated_at"])
        audit_record(
            actor=actor,
            action="meeting.cancelled",
            target=meeting,
            details={"reason_given": bool(reason)},
        )
        invites_send(
            meeting,
            kind="meeting_cancelled",
            method="CANCEL",
            visitor_zone=visitor_zone,
            reason=reason,
        )
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
    language = expert.language
    ics = invite_ics(
        meeting,
        method="CANCEL",
        language=language,
        time_zone=expert.time_zone,
        with_visitor=False,
    )
    mail_send(
        kind="meeting_erased",
        to=expert.user.email,
        language=language,
        context={"starts_at": meeting.starts_at},
        actor=Actor.system("meetings.notify"),
        time_zone=expert.time_zone,
        attachments=[
            {"filename": "invite.ics", "content": ics, "mimetype": "text/calendar; method=CANCEL"}
        ],
    )


def invites_send(
    meeting: Meeting, *, kind: str, method: str, visitor_zone: str = "", reason: str = ""
) -> None:
    """Both sides, each in their language and zone, each with the same event (UID) as an .ics.

    The visitor's copy reads in the zone they chose the time in (the site's when unknown, as
    for a reminder) and carries their manage and add-to-calendar links (private: placeholders
    in the stored copy, the .ics's included). The expert's reads in their zone and names the
    visitor's too, carries the visitor's answers from the form, so nothing asked at booking is
    lost on the way to the expert or on a reschedule, the lead's console page (never the
    visitor's private link) and the reason for a cancellation.
    """
    lead, expert = meeting.lead, meeting.expert
    # The zone they chose the time in, kept on the meeting for the reminder the worker sends.
    visitor_zone = zone_or_site(visitor_zone or meeting.visitor_timezone)
    context = {
        "meeting": meeting,
        "expert": expert.display_name,
        "name": lead.person.name,
        "mode": meeting.mode,
        "location": meeting.location,
        "starts_at": meeting.starts_at,
        "visitor_zone": visitor_zone,
    }
    links = booking_links(lead, meeting, visitor_zone)
    visitor_ics = invite_ics(
        meeting,
        method=method,
        language=lead.language,
        time_zone=visitor_zone,
        link=PLACEHOLDER.format("manage_link"),
    )
    mail_send(
        kind=kind,
        to=lead.person.email,
        language=lead.language,
        context={**context, "for_expert": False},
        actor=Actor.system("meetings.notify"),
        person=lead.person,
        attachments=[invite_attachment(visitor_ics, method)],
        time_zone=visitor_zone,
        links=links,
    )
    expert_language = expert.language
    with translation.override(expert_language):
        lead_path = reverse("console:lead", args=[lead.public_id])
        answers = labels.answers_shown(lead.form, lead.submission.answers)
    expert_ics = invite_ics(
        meeting,
        method=method,
        language=expert_language,
        time_zone=expert.time_zone,
        link=settings.PLEDGE_SITE_URL + lead_path,
        for_expert=True,
    )
    mail_send(
        kind=kind,
        to=expert.user.email,
        language=expert_language,
        context={
            **context,
            "for_expert": True,
            "answers": answers,
            "lead_path": lead_path,
            "reason": reason,
        },
        actor=Actor.system("meetings.notify"),
        # About the person (their name, answers, a reason): their access export and erasure
        # reach the expert's copy too.
        person=lead.person,
        attachments=[invite_attachment(expert_ics, method)],
        time_zone=expert.time_zone,
    )


def invite_attachment(ics: str, method: str) -> dict:
    return {"filename": "invite.ics", "content": ics, "mimetype": f"text/calendar; method={method}"}


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
