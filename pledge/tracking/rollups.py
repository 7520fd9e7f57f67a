"""Hourly and daily counts for aggregate use (P15): dashboards read these, never raw events.

Per period and value: views, distinct visitors, seconds on page, and bounces, the visitors
whose one view of the period was this one (a visit of a single page; with the anonymous id
changing every day, a visit is a visitor's day on the site, and the dashboard's bounce rate is
the daily rows' bounces over their visitors).

``rollups_refresh`` recomputes whole periods from the page views (bots left out) and writes
them with an upsert on (period, start, dimension, value), so running it twice, or in two
workers at once, gives the same rows. Each run redoes the last hours too, for late events
(a page's time-on-page arrives when it is left), and catches up after a worker was down.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum, Value
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
    "device": F("device_class"),
}
RECOMPUTE_HOURS = 3


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def period_rows(period: str, start: datetime, end: datetime) -> list[Rollup]:
    views = PageView.objects.filter(at__gte=start, at__lt=end, is_bot=False).annotate(
        visitor=Concat("visitor_key", "visitor_hash")
    )
    # The visitors who viewed one page only in the period: their view is a bounce.
    single = views.order_by().values("visitor").annotate(n=Count("id")).filter(n=1)
    rows = []
    for dimension, expression in DIMENSIONS.items():
        grouped = views.annotate(value=expression)
        if dimension == "campaign":
            grouped = grouped.exclude(utm_campaign="")
        counts = grouped.values("value").annotate(
            views=Count("id"),
            visitors=Count("visitor", distinct=True),
            seconds=Sum("seconds", default=0),
            bounces=Count("visitor", distinct=True, filter=Q(visitor__in=single.values("visitor"))),
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
                bounces=count["bounces"],
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


def month_start(moment: datetime) -> datetime:
    """The instant the site month holding ``moment`` began."""
    return site_day_start(moment).replace(day=1)


def month_rows(start: datetime) -> list[Rollup]:
    """A site month's rows: the sums of its day rows per dimension and value (visitors are
    counted per day, so they add up; bounces stay None if a day's were not counted)."""
    end = month_start(start + timedelta(days=32))
    sums = (
        Rollup.objects.filter(period=RollupPeriod.DAY, start__gte=start, start__lt=end)
        .values("dimension", "value")
        .annotate(
            unknown=Count("id", filter=Q(bounces__isnull=True)),
            views=Sum("views"),
            visitors=Sum("visitors"),
            seconds=Sum("seconds"),
            bounces=Sum("bounces"),
        )
        .order_by()
    )
    return [
        Rollup(
            period=RollupPeriod.MONTH,
            start=start,
            dimension=row["dimension"],
            value=row["value"],
            views=row["views"],
            visitors=row["visitors"],
            seconds=row["seconds"],
            bounces=None if row["unknown"] else row["bounces"],
        )
        for row in sums
    ]


def period_write(period: str, start: datetime, rows: list[Rollup]) -> None:
    """Replace one period's rows by ``rows``: upsert, and delete the values gone."""
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
            update_fields=["views", "visitors", "seconds", "bounces"],
        )


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
        period_write(period, start, rows)
        written += len(rows)
    for start in sorted({month_start(day) for day in days}):
        rows = month_rows(start)
        period_write(RollupPeriod.MONTH, start, rows)
        written += len(rows)
    return written


def rollup_totals(*, dimension: str, spans: list[tuple[str, datetime, datetime]]):
    """Sums per value over ``spans``, each (period, since, until) (the dashboard's tables: whole
    months from the month rows, the days around them from the day rows). ``bounced_of`` is the
    visitors of the rows whose bounces were counted (rows older than bounces have none)."""
    within = Q()
    for period, since, until in spans:
        within |= Q(period=period, start__gte=since, start__lt=until)
    return (
        Rollup.objects.filter(within, dimension=dimension)
        .values("value")
        .annotate(  # bounced_of first: it sums the field, before ``visitors`` names the sum
            bounced_of=Sum("visitors", filter=Q(bounces__isnull=False)),
            views=Sum("views"),
            visitors=Sum("visitors"),
            seconds=Sum("seconds"),
            bounces=Sum("bounces"),
        )
        .order_by()
    )


def rollup_series(*, period: str, since: datetime, until: datetime):
    """The ``total`` rows of each period from ``since`` to ``until``, oldest first."""
    return (
        Rollup.objects.filter(period=period, dimension="total", start__gte=since, start__lt=until)
        .order_by("start")
        .values_list("start", "views", "visitors", "seconds", "bounces")
    )
