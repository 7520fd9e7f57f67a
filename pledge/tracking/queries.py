"""Reads for the aggregate dashboard (P15): rollups only, small counts hidden (k-anonymity).

A row whose visitors number fewer than ``PLEDGE_AGGREGATE_MIN_COUNT`` could point at one
person (the only visitor from a rare referrer, a rare language): it is folded into one
"other" row, itself shown only when it reaches the threshold.
"""

from dataclasses import dataclass

from django.conf import settings

from pledge.dates import site_date, site_days_start
from pledge.tracking.models import Rollup, RollupPeriod
from pledge.tracking.rollups import DIMENSIONS, rollup_totals
from pledge.vault.access import access_require


@dataclass(frozen=True)
class AggregateRow:
    value: str
    views: int | None  # None: hidden, below the threshold
    visitors: int | None
    average_seconds: int | None
    other: bool = False


@dataclass(frozen=True)
class Aggregates:
    days: int
    threshold: int
    totals: list  # AggregateRow per day, value = the date
    tables: dict  # dimension -> [AggregateRow]


def hidden_below(rows, threshold: int, limit: int = 20) -> list[AggregateRow]:
    shown, other_views, other_visitors = [], 0, 0
    for row in rows:
        if row["visitors"] >= threshold and len(shown) < limit:
            average = round(row["seconds"] / row["views"]) if row["views"] else None
            shown.append(AggregateRow(row["value"], row["views"], row["visitors"], average))
        else:
            other_views += row["views"]
            other_visitors += row["visitors"]
    if other_views:
        visible = other_visitors >= threshold
        shown.append(
            AggregateRow(
                "",
                other_views if visible else None,
                other_visitors if visible else None,
                None,
                other=True,
            )
        )
    return shown


def aggregates(*, actor, days: int = 30) -> Aggregates:
    """Views and visitors of the last ``days`` days per page, referrer, browser, language and
    campaign, from the daily rollups, with small counts hidden. Marketing and administrators.
    """
    access_require(actor, "view_aggregates")
    threshold = settings.PLEDGE_AGGREGATE_MIN_COUNT
    # From the start of the first of the last ``days`` days to the start of tomorrow.
    since, until = site_days_start(days), site_days_start(0)
    tables = {
        dimension: hidden_below(
            rollup_totals(period=RollupPeriod.DAY, dimension=dimension, since=since, until=until),
            threshold,
        )
        for dimension in DIMENSIONS
        if dimension != "total"
    }
    daily = Rollup.objects.filter(
        period=RollupPeriod.DAY, dimension="total", start__gte=since, start__lt=until
    ).order_by("start")
    totals = [
        AggregateRow(
            site_date(row.start).isoformat(),
            row.views if row.visitors >= threshold else None,
            row.visitors if row.visitors >= threshold else None,
            round(row.seconds / row.views) if row.views and row.visitors >= threshold else None,
        )
        for row in daily
    ]
    return Aggregates(days=days, threshold=threshold, totals=totals, tables=tables)
