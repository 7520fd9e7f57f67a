"""Experts: their profile (who they serve, where they meet) and their weekly availability."""

import re
import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pledge.dates import zone_or_site
from pledge.meetings.models import Availability, Expert
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


def expert_update(*, expert: Expert, actor, availability: dict[int, str], **fields) -> None:
    """Change the expert's profile and replace their weekly windows (``weekday -> text``)."""
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
    if problems:
        raise ValidationError(problems)
    parsed = {weekday: parse_windows(text) for weekday, text in availability.items()}
    with transaction.atomic():
        for name, value in fields.items():
            setattr(expert, name, value)
        expert.save()
        expert.availability.all().delete()
        Availability.objects.bulk_create(
            Availability(expert=expert, weekday=weekday, start=start, end=end)
            for weekday, windows in parsed.items()
            for start, end in windows
        )
        audit_record(actor=actor, action="expert.updated", target=expert)


def windows_text(expert: Expert) -> dict[int, str]:
    text: dict[int, list[str]] = {weekday: [] for weekday in range(7)}
    for window in expert.availability.all():
        text[window.weekday].append(f"{window.start:%H:%M}-{window.end:%H:%M}")
    return {weekday: ", ".join(parts) for weekday, parts in text.items()}
