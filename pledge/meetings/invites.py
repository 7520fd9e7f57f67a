"""iCalendar invitations (RFC 5545/5546) for booked demos, made with the icalendar library."""

from datetime import UTC

from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from pledge.inventory.loader import current_inventory


def invite_ics(meeting, *, method: str, with_visitor: bool = True) -> str:
    """The meeting as a calendar object: REQUEST to book or update, CANCEL to call it off.

    The UID never changes and SEQUENCE grows on every change, so calendar programs update the
    event they already hold instead of adding a second one. ``with_visitor=False`` leaves the
    visitor out (the cancellation sent when their data is erased).
    """
    organization = current_inventory().organization
    calendar = Calendar()
    # The product that made it: Pledge, for the site's organisation (named in English, //EN).
    calendar.add("prodid", f"-//Pledge//{organization.name.get('en')} demo bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{meeting.public_id}@{organization.domain}")
    event.add("dtstamp", timezone.now())
    # UTC instants (…Z): a TZID would need its VTIMEZONE, which calendars read unevenly.
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting.ends_at.astimezone(UTC))
    event.add("sequence", meeting.sequence)
    event.add("summary", f"{organization.name} demo · {meeting.expert.display_name}")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("location", vText(meeting.location))
    if meeting.mode == "online":
        event.add("url", meeting.location)
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
