"""Days as the site counts them, and time zones as a person reads them.

Instants are stored in UTC; a *day* (a rollup's, a refused post's count, a notice's due date,
a visitor hash's salt) is a day in the site's zone (``TIME_ZONE``, Asia/Shanghai by default:
eight hours ahead, so 16:00 UTC is already tomorrow). Code that buckets by day uses these, never
``datetime.date()`` of a UTC instant nor the zone that happens to be active (a staff member's
console runs in their own zone).

Showing an instant to a person is the template's job (``|date`` in the reader's zone, which the
console, the site and ``mail_send`` activate). A zone is named beside it with ``zone_label``
("Berlin UTC+01:00"), never by its IANA id, and with its offset at that instant: a meeting
after a change to or from summer time is an hour off today's.
"""

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Zones by the place their readers know them by; the booking page offers them first (where
# Gonex's visitors mostly are).
COMMON_ZONES = (
    ("Asia/Shanghai", gettext_lazy("Beijing, Shanghai")),
    ("Asia/Hong_Kong", gettext_lazy("Hong Kong")),
    ("Asia/Taipei", gettext_lazy("Taipei")),
    ("Asia/Singapore", gettext_lazy("Singapore")),
    ("Asia/Tokyo", gettext_lazy("Tokyo")),
    ("Asia/Seoul", gettext_lazy("Seoul")),
    ("Asia/Kolkata", gettext_lazy("India")),
    ("Asia/Dubai", gettext_lazy("Dubai")),
    ("Europe/London", gettext_lazy("London")),
    ("Europe/Paris", gettext_lazy("Paris")),
    ("Europe/Berlin", gettext_lazy("Berlin")),
    ("America/New_York", gettext_lazy("New York")),
    ("America/Chicago", gettext_lazy("Chicago")),
    ("America/Denver", gettext_lazy("Denver")),
    ("America/Los_Angeles", gettext_lazy("Los Angeles")),
    ("Australia/Sydney", gettext_lazy("Sydney")),
    ("UTC", gettext_lazy("Coordinated Universal Time")),
)
COMMON_NAMES = dict(COMMON_ZONES)
# Every other zone a person may live in (not the legacy aliases: "US/Eastern", "Etc/GMT+5").
REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)
OTHER_ZONES = tuple(
    sorted(
        name
        for name in zoneinfo.available_timezones()
        if name.startswith(REGIONS) and name not in COMMON_NAMES
    )
)


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


def zone_offset(name: str, moment: datetime | None = None) -> str:
    """``+08:00``, or ``-05:00`` written with a real minus sign (U+2212): the zone's offset from
    UTC at ``moment`` (now by default)."""
    zone = zoneinfo.ZoneInfo(name)
    offset = (moment or timezone.now()).astimezone(zone).utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "\u2212"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_label(name: str, moment: datetime | None = None) -> str:
    """How a zone reads in the active language, with its offset from UTC at ``moment`` (now by
    default; pass the instant shown beside it): a translated place for the common zones, the
    IANA name in words for the others. A name no zone has is shown as it is."""
    try:
        offset = zone_offset(name, moment)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return name
    place = str(COMMON_NAMES.get(name) or name.replace("_", " "))
    return _("%(place)s UTC%(offset)s") % {"place": place, "offset": offset}


def zone_options(current: str, moment: datetime) -> list[tuple[str, list[tuple[str, str]]]]:
    """A zone select's groups: the common zones, then every other one (and ``current`` first if
    it is in neither, such as a zone a browser reported), each named with its offset at
    ``moment``."""
    others = list(OTHER_ZONES)
    if current not in COMMON_NAMES and current not in others:
        others.insert(0, current)
    return [
        (
            _("Common time zones"),
            [(name, zone_label(name, moment)) for name, _label in COMMON_ZONES],
        ),
        (_("All time zones"), [(name, zone_label(name, moment)) for name in others]),
    ]
