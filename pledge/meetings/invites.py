"""iCalendar invitations (RFC 5545/5546) for booked demos, made with the icalendar library.

Each reader gets the event in their own language and time zone: the SUMMARY and DESCRIPTION in
their language, DTSTART/DTEND as local times with a TZID whose VTIMEZONE travels in the same
file (generated from the zoneinfo database, so it is the one the site computes slots with).
The library escapes TEXT values (``\\``, ``;``, ``,``, line breaks) and folds lines at 75 octets,
never inside a UTF-8 character.
"""

import zoneinfo
from datetime import timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from pledge.dates import zone_or_site
from pledge.inventory.loader import current_inventory

# A VTIMEZONE describes the zone for this long either side of the meeting: enough for any
# calendar to place it and to show a reschedule, small enough to stay one STANDARD where the
# zone keeps one offset (Asia/Shanghai) and two transitions a year where it has summer time.
ZONE_SPAN = timedelta(days=400)


def zone_component(zone_name: str, around) -> Timezone:
    """The VTIMEZONE of ``zone_name`` for the transitions near ``around``, from zoneinfo."""
    component = Timezone.from_tzinfo(
        zoneinfo.ZoneInfo(zone_name),
        tzid=zone_name,
        first_date=(around - ZONE_SPAN).date(),
        last_date=(around + ZONE_SPAN).date(),
    )
    component.pop("COMMENT", None)  # the library's note on the span; no one reads it
    return component


def invite_summary(meeting, language: str) -> str:
    """The event's title in the reader's language: the company's demo, with the expert."""
    organization = current_inventory().organization
    with translation.override(language):
        return _("%(company)s demo with %(expert)s") % {
            "company": organization.name.get(language) or str(organization.name),
            "expert": meeting.expert.display_name,
        }


def invite_agenda(meeting) -> str:
    """What the visitor asked to see (the demo form's free answer), as they wrote it; empty
    if they wrote nothing. Nothing else of theirs: the file lands in calendars that sync to
    other services, so it carries only what the demo is about."""
    answers = meeting.lead.submission.answers or {}
    value = answers.get("interests") or ""
    return value.strip() if isinstance(value, str) else ""


def invite_description(meeting, *, language: str, link: str, for_expert: bool) -> str:
    """The DESCRIPTION: the agenda, then where to manage the meeting. ``link`` is the visitor's
    manage link (or its placeholder in a stored email) or, for the expert, the lead's console
    page, which asks for their login."""
    agenda = invite_agenda(meeting)
    with translation.override(language):
        lines = [_("Agenda: a demo of our products and services, and your questions.")]
        if agenda:
            asked = (
                _("What the visitor would like to see:")
                if for_expert
                else _("What you would like to see:")
            )
            lines += ["", asked, agenda]
        lines.append("")
        if for_expert:
            lines.append(_("The lead in the console: %(link)s") % {"link": link})
        else:
            lines.append(_("Reschedule or cancel: %(link)s") % {"link": link})
    return "\n".join(lines)


def invite_ics(
    meeting,
    *,
    method: str,
    language: str,
    time_zone: str = "",
    link: str = "",
    for_expert: bool = False,
    with_visitor: bool = True,
) -> str:
    """The meeting as a calendar object: REQUEST to book or update, CANCEL to call it off,
    PUBLISH for the file the visitor downloads from their manage link.

    The UID never changes and SEQUENCE grows on every change, so calendar programs update the
    event they already hold instead of adding a second one. ``with_visitor=False`` leaves the
    visitor out (the cancellation sent when their data is erased), agenda included.
    """
    organization = current_inventory().organization
    zone_name = zone_or_site(time_zone)
    zone = zoneinfo.ZoneInfo(zone_name)
    calendar = Calendar()
    # The product that made it: Pledge, for the site's organisation (named in English, //EN).
    calendar.add("prodid", f"-//Pledge//{organization.name.get('en')} demo bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(zone_component(zone_name, meeting.starts_at))
    event = Event()
    event.add("uid", f"{meeting.public_id}@{organization.domain}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("sequence", meeting.sequence)
    event.add("summary", invite_summary(meeting, language))
    cancelled = method == "CANCEL" or meeting.status == "cancelled"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("location", vText(meeting.location))
    if meeting.mode == "online":
        event.add("url", meeting.location)
    if with_visitor and link:
        event.add(
            "description",
            invite_description(meeting, language=language, link=link, for_expert=for_expert),
        )
    organizer = vCalAddress(f"mailto:{organization.service_mailbox}")
    organizer.params["cn"] = vText(str(organization.name))
    event.add("organizer", organizer)
    attendees = [(meeting.expert.user.email, meeting.expert.display_name)]
    if with_visitor:
        attendees.insert(0, (meeting.lead.person.email, meeting.lead.person.name))
    for address, name in attendees:
        attendee = vCalAddress(f"mailto:{address}")
        attendee.params["cn"] = vText(name or address)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical().decode()
