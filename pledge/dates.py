"""Days as the site counts them.

Instants are stored in UTC; a *day* (a rollup's, a refused post's count, a notice's due date,
a visitor hash's salt) is a day in the site's zone (``TIME_ZONE``, Asia/Shanghai by default:
eight hours ahead, so 16:00 UTC is already tomorrow). Code that buckets by day uses these, never
``datetime.date()`` of a UTC instant nor the zone that happens to be active (a staff member's
console runs in their own zone).

Showing an instant to a person is the template's job (``|date`` in the reader's zone, which the
console, the site and ``mail_send`` activate).
"""

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone


def site_zone():
    return timezone.get_default_timezone()


def zone_or_site(name: str | None) -> str:
    """``name`` if it is a time zone this machine knows, else the site's: a reader's zone
    read from a record never breaks what is being sent or shown."""
    try:
        return zoneinfo.ZoneInfo(name).key if name else settings.TIME_ZONE
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return settings.TIME_ZONE


def site_date(moment: datetime | None = None) -> date:
    """The site's date at ``moment`` (now by default)."""
    return timezone.localdate(moment, site_zone())


def site_day_start(moment: datetime) -> datetime:
    """The instant the site's day holding ``moment`` began (aware, in the site's zone)."""
    local = timezone.localtime(moment, site_zone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def site_days_start(days: int, *, now: datetime | None = None) -> datetime:
    """The start of the site's day ``days - 1`` days before today: "the last ``days`` days",
    today included."""
    first = site_date(now) - timedelta(days=days - 1)
    return datetime.combine(first, time(), tzinfo=site_zone())
