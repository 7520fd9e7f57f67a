"""Experts: their profile (who they serve, where they meet) and their weekly availability."""

import re
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pledge.dates import zone_or_site
from pledge.meetings.models import (
    BUFFER_MAX_MINUTES,
    NOTICE_MAX_HOURS,
    Availability,
    Expert,
    Meeting,
    MeetingStatus,
    TimeOff,
    TimeOffKind,
)
from pledge.people.values import validate_single_line
from pledge.vault.access import has_access, refuse
from pledge.vault.audit import audit_record

WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-\u2013~]\s*(\d{1,2}):(\d{2})\s*$")


def expert_for(user) -> Expert:
    """The user's expert profile, created with the site's defaults on first use."""
    expert, _created = Expert.objects.get_or_create(
        user=user,
        defaults={
            "display_name": user.get_full_name() or user.get_username(),
            "time_zone": settings.TIME_ZONE,
            "languages": [code for code, _name in settings.LANGUAGES],
            "forms": ["demo", "interest", "contact"],
        },
    )
    return expert


def staff_time_zone(user) -> str:
    """The zone a staff member reads times in: their expert profile's, else the site's."""
    return zone_or_site(
        Expert.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    )


def may_edit(expert: Expert, actor) -> bool:
    return has_access(actor, "view_all_leads") or (
        has_access(actor, "work_own_leads") and expert.user_id == actor.user_id
    )


def parse_windows(text: str) -> list[tuple[time, time]]:
    """``09:00-12:00, 13:30-17:00`` as (start, end) pairs; a clear error otherwise."""
    windows = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        match = WINDOW.match(part)
        if not match:
            raise ValidationError(
                _("Write times as 09:00-12:00, separated by commas (not “%(part)s”).")
                % {"part": part[:40]}
            )
        hours_from, minutes_from, hours_to, minutes_to = map(int, match.groups())
        try:
            start, end = time(hours_from, minutes_from), time(hours_to, minutes_to)
        except ValueError:
            raise ValidationError(
                _("“%(part)s” is not a time of day.") % {"part": part[:40]}
            ) from None
        if end <= start:
            raise ValidationError(_("“%(part)s” ends before it starts.") % {"part": part[:40]})
        windows.append((start, end))
    return windows


def expert_update(
    *, expert: Expert, actor, availability: dict[int, str | list] | None = None, **fields
) -> None:
    """Change the expert's profile and, when given, replace their weekly windows
    (``weekday -> "09:00-12:00, ..."`` or ``weekday -> [(start, end), ...]``)."""
    if not may_edit(expert, actor):
        refuse(actor, "work_own_leads", target=expert)
    if fields.get("time_zone") and fields["time_zone"] not in zoneinfo.available_timezones():
        raise ValidationError(_("Choose a time zone from the list, such as Asia/Shanghai."))
    # The name and address go into visitors' emails and calendar invites: one line each (I5).
    problems = {}
    for name in ("display_name", "office_address"):
        try:
            validate_single_line(str(fields.get(name, "")))
        except ValidationError as refused:
            problems[name] = refused.messages
    problems.update(settings_problems(fields))
    if problems:
        raise ValidationError(problems)
    parsed = {
        weekday: parse_windows(windows) if isinstance(windows, str) else list(windows)
        for weekday, windows in (availability or {}).items()
    }
    with transaction.atomic():
        for name, value in fields.items():
            setattr(expert, name, value)
        expert.save()
        if availability is not None:
            expert.availability.all().delete()
            Availability.objects.bulk_create(
                Availability(expert=expert, weekday=weekday, start=start, end=end)
                for weekday, windows in parsed.items()
                for start, end in windows
            )
        audit_record(actor=actor, action="expert.updated", target=expert)


def settings_problems(fields: dict) -> dict[str, list[str]]:
    """The buffer and the notice, refused outside their ranges (the database refuses them too)."""
    problems = {}
    limits = {
        "buffer_minutes": (
            BUFFER_MAX_MINUTES,
            _("Keep between 0 and %(most)s minutes between meetings."),
        ),
        "notice_hours": (
            NOTICE_MAX_HOURS,
            _("Ask for between 0 and %(most)s hours of notice."),
        ),
    }
    for name, (most, message) in limits.items():
        if name in fields and not (isinstance(fields[name], int) and 0 <= fields[name] <= most):
            problems[name] = [message % {"most": most}]
    return problems


def time_off_intervals(expert: Expert, first_day: date, last_day: date):
    """The instants (start, end) the expert's exceptions take out of ``first_day`` to
    ``last_day`` (days of the expert's zone): a whole day runs from its midnight to the next,
    so a holiday is a holiday in the expert's own calendar, wherever the visitor is."""
    zone = zoneinfo.ZoneInfo(expert.time_zone)
    intervals = []
    for time_off in expert.time_off.filter(first_day__lte=last_day, last_day__gte=first_day):
        day = max(time_off.first_day, first_day)
        while day <= min(time_off.last_day, last_day):
            if time_off.start is None:
                start = datetime.combine(day, time(0), tzinfo=zone)
                end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            else:
                start = datetime.combine(day, time_off.start, tzinfo=zone)
                end = datetime.combine(day, time_off.end, tzinfo=zone)
            intervals.append((start, end))
            day += timedelta(days=1)
    return intervals


# --- The weekly grid: half-hour cells, weekdays across, times down -----------------------

GRID_MINUTES = 30
GRID_FIRST = time(7)
GRID_LAST = time(21)  # the end of the last row shown unless a window reaches further


def minutes_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def time_of(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def grid_rows(expert: Expert | None = None) -> list[time]:
    """The start of each row: 07:00 to 21:00 by half hours, widened to hold every window the
    expert already has, so the grid never hides an hour they set."""
    first, last = minutes_of(GRID_FIRST), minutes_of(GRID_LAST)
    for window in expert.availability.all() if expert is not None else ():
        first = min(first, minutes_of(window.start) // GRID_MINUTES * GRID_MINUTES)
        last = max(last, -(-minutes_of(window.end) // GRID_MINUTES) * GRID_MINUTES)
    last = min(last, 24 * 60 - GRID_MINUTES)  # a row ends at 23:30 at the latest
    return [time_of(minutes) for minutes in range(first, last, GRID_MINUTES)]


def grid_cells(expert: Expert) -> set[tuple[int, time]]:
    """The (weekday, row start) cells the expert's windows cover whole."""
    cells = set()
    for window in expert.availability.all():
        minutes = -(-minutes_of(window.start) // GRID_MINUTES) * GRID_MINUTES
        while minutes + GRID_MINUTES <= minutes_of(window.end):
            cells.add((window.weekday, time_of(minutes)))
            minutes += GRID_MINUTES
    return cells


def grid_off_steps(expert: Expert) -> bool:
    """Whether a window starts or ends off the half hours: saving the grid would round it."""
    return any(
        minutes_of(moment) % GRID_MINUTES
        for window in expert.availability.all()
        for moment in (window.start, window.end)
    ) or any(
        minutes_of(window.end) > 24 * 60 - GRID_MINUTES for window in expert.availability.all()
    )


def windows_from_cells(cells) -> dict[int, list[tuple[time, time]]]:
    """Ticked cells as weekly windows: touching cells of a day join into one window."""
    cells = set(cells)
    windows: dict[int, list[tuple[time, time]]] = {weekday: [] for weekday in range(7)}
    for weekday in range(7):
        starts = sorted(minutes_of(start) for day, start in cells if day == weekday)
        for minutes in starts:
            ends = windows[weekday]
            if ends and minutes_of(ends[-1][1]) == minutes:
                ends[-1] = (ends[-1][0], time_of(minutes + GRID_MINUTES))
            else:
                ends.append((time_of(minutes), time_of(minutes + GRID_MINUTES)))
    return windows


# --- Exceptions: holidays and days off ---------------------------------------------------

TIME_OFF_MAX_DAYS = 366


def time_off_add(
    *,
    expert: Expert,
    actor,
    first_day: date,
    last_day: date | None = None,
    kind: str = TimeOffKind.DAY_OFF,
    note: str = "",
    start: time | None = None,
    end: time | None = None,
) -> TimeOff:
    """Take days (or the same hours of each of them) out of the expert's weeks; audited.
    Meetings already booked then stay: the expert moves or cancels them with the visitor."""
    if not may_edit(expert, actor):
        refuse(actor, "work_own_leads", target=expert)
    last_day = last_day or first_day
    problems = {}
    if last_day < first_day:
        problems["last_day"] = [_("The last day comes before the first.")]
    elif (last_day - first_day).days >= TIME_OFF_MAX_DAYS:
        problems["last_day"] = [_("Add at most a year at a time.")]
    if (start is None) != (end is None):
        problems["end"] = [_("Give both times for part of a day, or neither for whole days.")]
    elif start is not None and end <= start:
        problems["end"] = [_("The time off ends before it starts.")]
    if kind not in TimeOffKind.values:
        problems["kind"] = [_("Choose holiday or day off.")]
    try:
        validate_single_line(note)
    except ValidationError as refused:
        problems["note"] = refused.messages
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        time_off = TimeOff.objects.create(
            expert=expert,
            kind=kind,
            first_day=first_day,
            last_day=last_day,
            start=start,
            end=end,
            note=note.strip(),
        )
        audit_record(actor=actor, action="expert.time_off_added", target=expert)
    return time_off


def time_off_remove(*, expert: Expert, actor, time_off_id: int) -> bool:
    """Give the days back to the expert's weeks; False if they were already given back."""
    if not may_edit(expert, actor):
        refuse(actor, "work_own_leads", target=expert)
    with transaction.atomic():
        deleted, _kinds = expert.time_off.filter(pk=time_off_id).delete()
        if deleted:
            audit_record(actor=actor, action="expert.time_off_removed", target=expert)
    return bool(deleted)


def time_off_ahead(expert: Expert, *, now: datetime | None = None) -> list[TimeOff]:
    """The exceptions still to come or under way, by the expert's own calendar (past ones no
    longer matter to anyone); read from ``expert.time_off`` as prefetched, when it was."""
    today = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(expert.time_zone)).date()
    return [item for item in expert.time_off.all() if item.last_day >= today]


# --- The agenda on the expert's Today page -----------------------------------------------

AGENDA_DAYS = 7


def expert_agenda(*, actor, now: datetime | None = None) -> dict | None:
    """The signed-in expert's booked meetings today and in the next seven days, days counted
    in their zone (the one the console shows them times in); None for staff who are not
    experts (no profile is made for them by looking)."""
    from pledge.meetings.leads import lead_organization_name

    if actor.user_id is None or not has_access(actor, "work_own_leads"):
        return None
    expert = Expert.objects.filter(user_id=actor.user_id).first()
    if expert is None:
        return None
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(zone_or_site(expert.time_zone))
    today = now.astimezone(zone).date()
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    until = datetime.combine(today + timedelta(days=AGENDA_DAYS + 1), time(0), tzinfo=zone)
    meetings = list(
        Meeting.objects.filter(
            expert=expert,
            status=MeetingStatus.BOOKED,
            ends_at__gt=datetime.combine(today, time(0), tzinfo=zone),
            starts_at__lt=until,
        )
        .select_related("lead__person__organization", "lead__submission")
        .order_by("starts_at")
    )
    for meeting in meetings:
        meeting.organization_name = lead_organization_name(meeting.lead)
    return {
        "expert": expert,
        "today": [meeting for meeting in meetings if meeting.starts_at < tomorrow],
        "next": [meeting for meeting in meetings if meeting.starts_at >= tomorrow],
        "days": AGENDA_DAYS,
    }
