"""The visitor's private booking page: pick, reschedule or cancel a demo without an account.

Times read in the visitor's own zone: ``booking.js`` reads the browser's zone and reloads the
page with ``?tz=``; the zone select changes it (a GET form, so it works without JavaScript too).
With JavaScript the free times show as a week grid (a column a day, previous and next week);
without, as one list grouped by day, in the site's zone until the visitor picks another. A slot
button opens a confirmation step (GET, nothing booked); only its form books (POST).
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from pledge.dates import zone_label, zone_options
from pledge.meetings.invites import invite_ics
from pledge.meetings.models import MeetingStatus
from pledge.meetings.scheduling import (
    Slot,
    lead_by_token,
    lead_slots,
    meeting_book,
    meeting_cancel,
    meeting_reschedule,
    zone_known,
)
from pledge.vault.actors import Actor

VISITOR = Actor.visitor("booking")


@dataclass
class Day:
    day: date
    slots: list[Slot] = field(default_factory=list)


def zone_chosen(request) -> tuple[str, str]:
    """The zone the visitor reads times in (``tz`` of the query or the form), and an error to
    show when they sent one no one knows (then the site's zone)."""
    asked = (request.POST.get("tz") or request.GET.get("tz") or "").strip()[:64]
    if not asked:
        return settings.TIME_ZONE, ""
    if zone_known(asked):
        return asked, ""
    return settings.TIME_ZONE, _(
        "We do not know the time zone you asked for, so times are shown in %(zone)s."
    ) % {"zone": zone_label(settings.TIME_ZONE)}


def days_of(slots: list[Slot], zone) -> list[Day]:
    """The slots grouped by their day in ``zone``, in order."""
    days: dict[date, Day] = {}
    for slot in slots:
        local = slot.starts_at.astimezone(zone).date()
        days.setdefault(local, Day(local)).slots.append(slot)
    return list(days.values())


def week_of(days: list[Day], asked: str) -> tuple[list[Day], date | None, date | None]:
    """The seven days (Monday first) of the asked week, or of the first week with a free time;
    and the Mondays of the weeks before and after that have free times."""
    mondays = sorted({day.day - timedelta(days=day.day.weekday()) for day in days})
    if not mondays:
        return [], None, None
    try:
        monday = date.fromisoformat(asked)
    except ValueError:
        monday = mondays[0]
    if monday not in mondays:
        monday = mondays[0]
    by_day = {day.day: day for day in days}
    week = [
        by_day.get(monday + timedelta(days=n), Day(monday + timedelta(days=n))) for n in range(7)
    ]
    index = mondays.index(monday)
    previous = mondays[index - 1] if index > 0 else None
    following = mondays[index + 1] if index + 1 < len(mondays) else None
    return week, previous, following


def week_link(zone_name: str, monday: date | None) -> str:
    if monday is None:
        return ""
    return "?" + urlencode({"tz": zone_name, "week": monday.isoformat()})


def calendar_link(token: str, meeting, zone_name: str) -> str:
    """The meeting's calendar file behind the link this page was opened with, in the page's
    language. (``scheduling.booking_links`` builds the emails' one: a signed manage token, in
    the lead's language, so another URL.)"""
    return reverse("web:booking_calendar", args=[token, meeting.public_id]) + (
        "?" + urlencode({"tz": zone_name})
    )


def rendered(request, template: str, context: dict, zone_name: str, status: int = 200):
    """Render with the visitor's zone active, so ``|date`` shows their local times."""
    with timezone.override(zoneinfo.ZoneInfo(zone_name)):
        return render(request, template, {**context, "zone": zone_name}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def booking(request, token: str):
    lead = lead_by_token(token)
    if lead is None:
        return render(request, "web/forms/link_expired.html", status=404)
    meeting = lead.meetings.filter(status=MeetingStatus.BOOKED).first()
    zone_name, zone_error = zone_chosen(request)
    common = {"lead": lead, "token": token}
    error = ""
    if request.method == "POST":
        # Cancelling has a page of its own, which asks first (booking_cancel).
        slot_key = request.POST.get("slot", "")[:20]
        try:
            if meeting is not None:
                meeting = meeting_reschedule(
                    meeting=meeting, slot_key=slot_key, actor=VISITOR, visitor_zone=zone_name
                )
            else:
                meeting = meeting_book(
                    lead=lead, slot_key=slot_key, actor=VISITOR, visitor_zone=zone_name
                )
            return rendered(
                request,
                "web/booking/booked.html",
                {
                    **common,
                    "meeting": meeting,
                    "zone_label": zone_label(zone_name, meeting.starts_at),
                    "calendar_link": calendar_link(token, meeting, zone_name),
                },
                zone_name,
            )
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
    slots, all_fit = lead_slots(lead, exclude=meeting)
    zone = zoneinfo.ZoneInfo(zone_name)
    days = days_of(slots, zone)
    week, previous, following = week_of(days, request.GET.get("week", ""))
    chosen = None
    if request.method == "GET" and request.GET.get("slot"):
        chosen = next((slot for slot in slots if slot.key == request.GET["slot"][:20]), None)
        if chosen is None:
            error = _("That time is no longer free. Choose another.")
    # Zones named with their offset at the time being confirmed, else on the week shown: one
    # label for the page, though the list of two weeks may cross a change of summer time.
    if chosen is not None:
        shown_at = chosen.starts_at
    elif week:
        shown_at = datetime.combine(week[0].day, time(), tzinfo=zone)
    else:
        shown_at = timezone.now()
    return rendered(
        request,
        "web/booking/choose.html",
        {
            **common,
            "zone_label": zone_label(zone_name, shown_at),
            "meeting": meeting,
            "meeting_zone_label": zone_label(zone_name, meeting.starts_at) if meeting else "",
            "calendar_link": calendar_link(token, meeting, zone_name) if meeting else "",
            "slots": slots,
            "all_fit": all_fit,
            "days": days,
            "week": week,
            "monday": week[0].day if week else None,
            "previous_link": week_link(zone_name, previous),
            "next_link": week_link(zone_name, following),
            "chosen": chosen,
            "error": error,
            "zone_error": zone_error,
            "zone_groups": zone_options(zone_name, shown_at),
            # The browser's zone is read only on a first visit, never over a visitor's choice.
            "detect": request.method == "GET" and "tz" not in request.GET,
        },
        zone_name,
        status=400 if error or zone_error else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def booking_cancel(request, token: str):
    """ "Cancel this meeting?": the confirmation step, with an optional reason for the expert."""
    lead = lead_by_token(token)
    if lead is None:
        return render(request, "web/forms/link_expired.html", status=404)
    meeting = lead.meetings.filter(status=MeetingStatus.BOOKED).first()
    zone_name, _error = zone_chosen(request)
    if meeting is None:
        return redirect(reverse("web:booking", args=[token]) + "?" + urlencode({"tz": zone_name}))
    common = {"lead": lead, "token": token, "zone_label": zone_label(zone_name, meeting.starts_at)}
    if request.method == "POST":
        meeting_cancel(
            meeting=meeting,
            actor=VISITOR,
            reason=request.POST.get("reason", "")[:4000],
            visitor_zone=zone_name,
        )
        return rendered(request, "web/booking/cancelled.html", common, zone_name)
    return rendered(request, "web/booking/cancel.html", {**common, "meeting": meeting}, zone_name)


@never_cache
@require_GET
def booking_calendar(request, token: str, meeting_id):
    """The meeting as a calendar file, in the visitor's language and zone (``?tz=``), behind
    the same private link: "add to calendar" for any calendar program."""
    lead = lead_by_token(token)
    meeting = lead.meetings.filter(public_id=meeting_id).first() if lead else None
    if meeting is None:
        raise Http404
    zone_name, _error = zone_chosen(request)
    manage = settings.PLEDGE_SITE_URL + reverse("web:booking", args=[token])
    ics = invite_ics(
        meeting,
        method="PUBLISH",
        language=get_language() or settings.LANGUAGE_CODE,
        time_zone=zone_name,
        link=manage,
    )
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    return response
