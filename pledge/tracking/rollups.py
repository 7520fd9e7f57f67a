"""Hourly and daily counts for aggregate use (P15): dashboards read these, never raw events.

``rollups_refresh`` recomputes whole periods from the page views (bots left out) and writes
them with an upsert on (period, start, dimension, value), so running it twice, or in two
workers at once, gives the same rows. Each run redoes the last hours too, for late events
(a page's time-on-page arrives when it is left), and catches up after a worker was down.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Max, Min, Sum, Value
from django.db.models.functions import Concat
from django.utils import timezone

from pledge.dates import site_day_start
from pledge.tracking.models import PageView, Rollup, RollupPeriod

DIMENSIONS = {
    "total": Value(""),
    "page": F("path"),
    "referrer": F("referrer_domain"),
    "browser": F("browser_family"),
    "language": F("language"),
    "campaign": F("utm_campaign"),
}
RECOMPUTE_HOURS = 3


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def period_rows(period: str, start: datetime, end: datetime) -> list[Rollup]:
    views = PageView.objects.filter(at__gte=start, at__lt=end, is_bot=False).annotate(
        visitor=Concat("visitor_key", "visitor_hash")
    )
    rows = []
    for dimension, expression in DIMENSIONS.items():
        grouped = views.annotate(value=expression)
        if dimension == "campaign":
            grouped = grouped.exclude(utm_campaign="")
        counts = grouped.values("value").annotate(
            views=Count("id"),
            visitors=Count("visitor", distinct=True),
            seconds=Sum("seconds", default=0),
        )
        rows.extend(
            Rollup(
                period=period,
                start=start,
                dimension=dimension,
                value=(count["value"] or "")[:500],
                views=count["views"],
                visitors=count["visitors"],
                seconds=count["seconds"] or 0,
            )
            for count in counts
        )
    return rows


def periods_to_refresh(now: datetime) -> tuple[list[datetime], list[datetime]]:
    """The hours and the local days whose counts may have changed since the last run."""
    current = hour_floor(now)
    last = Rollup.objects.filter(period=RollupPeriod.HOUR).aggregate(last=Max("start"))["last"]
    if last is None:
        first = PageView.objects.aggregate(first=Min("at"))["first"]
        since = hour_floor(first) if first else current
    else:
        since = last - timedelta(hours=1)
    since = min(since, current - timedelta(hours=RECOMPUTE_HOURS))
    hours = []
    moment = since
    while moment <= current:
        hours.append(moment)
        moment += timedelta(hours=1)
    days = sorted({site_day_start(hour) for hour in hours})
    return hours, days


def rollups_refresh(*, now: datetime | None = None) -> int:
    """Recompute the hourly and daily rollups that may have changed; returns rows written."""
    now = now or timezone.now()
    hours, days = periods_to_refresh(now)
    written = 0
    periods = [(RollupPeriod.HOUR, hour, hour + timedelta(hours=1)) for hour in hours]
    periods += [(RollupPeriod.DAY, day, site_day_start(day + timedelta(hours=25))) for day in days]
    for period, start, end in periods:
        if not PageView.objects.filter(at__gte=start, at__lt=end).exists() and not (
            Rollup.objects.filter(period=period, start=start).exists()
        ):
            continue
        rows = period_rows(period, start, end)
        with transaction.atomic():
            # Values that vanished (a person's stitched visits erased) vanish here too.
            values = {(row.dimension, row.value) for row in rows}
            stale = [
                rollup.pk
                for rollup in Rollup.objects.filter(period=period, start=start)
                if (rollup.dimension, rollup.value) not in values
            ]
            Rollup.objects.filter(pk__in=stale).delete()
            Rollup.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["period", "start", "dimension", "value"],
                update_fields=["views", "visitors", "seconds"],
            )
        written += len(rows)
    return written


def rollup_totals(*, period: str, dimension: str, since: datetime, until: datetime):
    """Sums per value over a range of periods (the dashboard's tables)."""
    return (
        Rollup.objects.filter(period=period, dimension=dimension, start__gte=since, start__lt=until)
        .values("value")
        .annotate(views=Sum("views"), visitors=Sum("visitors"), seconds=Sum("seconds"))
        .order_by("-views", "value")
    )
