"""Reads for the site-usage dashboard (P15): rollups only, small visitor counts hidden.

The dashboard answers from the daily rollups (the hourly ones for today's chart), never from
page views, so a year of traffic costs a few hundred rows per table, whatever the events.

k-anonymity: a visitor count below ``PLEDGE_AGGREGATE_MIN_COUNT`` could point at one person.
Such a count is hidden, never the views beside it: a day's chart point or the period's figures
show their views whatever the visitors. A table row (a rare referrer, a rare language) whose
visitors are below the threshold is folded into one "other" row, which shows its views and
shows its visitors only when they reach the threshold. A bounce rate over fewer visitors than
the threshold is hidden too (one in three bounced would say there were three).

Visitors: the anonymous id changes every day (``events.visitor_hash``), so a visitor is counted
once a day, and a period's visitors are the sum of its days' (a *visit* is a visitor's day on
the site). Visit duration is the seconds on pages over those visits; the bounce rate the visits
of a single page over the visits.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from pledge.csvfiles import csv_text
from pledge.dates import site_date, site_zone
from pledge.tracking.events import DEVICE_LABELS
from pledge.tracking.models import RollupPeriod
from pledge.tracking.rollups import rollup_series, rollup_totals
from pledge.vault.access import access_require

RANGE_KINDS = ("today", "7d", "30d", "month", "custom")
MAX_DAYS = 366
# No site counted visits before this: earlier dates are refused (and the range before a range
# that begins here is still a date Python can hold).
EARLIEST = date(2000, 1, 1)
TABLES = {  # dimension -> the table's title and the heading of its first column
    "page": (gettext_lazy("Top pages"), gettext_lazy("Page")),
    "referrer": (gettext_lazy("Sources"), gettext_lazy("Referring site")),
    "campaign": (gettext_lazy("Campaigns"), gettext_lazy("Campaign")),
    "language": (gettext_lazy("Languages"), gettext_lazy("Language")),
    "browser": (gettext_lazy("Browsers"), gettext_lazy("Browser")),
    "device": (gettext_lazy("Devices"), gettext_lazy("Device")),
}


# --- Ranges ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """Site days from ``first`` to ``last``, both included."""

    kind: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def hourly(self) -> bool:
        """One day is charted by the hour."""
        return self.first == self.last

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=site_zone())

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=site_zone())

    def spans(self) -> list[tuple[str, datetime, datetime]]:
        """Where the range's sums are read: the month rows of the whole site months inside
        it, the day rows of the days before and after them (a year is 12 month rows a value,
        not 366 day rows)."""
        zone = site_zone()

        def start(day: date) -> datetime:
            return datetime.combine(day, time(), tzinfo=zone)

        def next_month(day: date) -> date:
            return (day.replace(day=1) + timedelta(days=32)).replace(day=1)

        months_from = self.first if self.first.day == 1 else next_month(self.first)
        months_until = months_from
        while next_month(months_until) - timedelta(days=1) <= self.last:
            months_until = next_month(months_until)
        if months_until == months_from:
            return [(RollupPeriod.DAY, self.since, self.until)]
        spans = [(RollupPeriod.MONTH, start(months_from), start(months_until))]
        if self.first < months_from:
            spans.append((RollupPeriod.DAY, self.since, start(months_from)))
        if months_until <= self.last:
            spans.append((RollupPeriod.DAY, start(months_until), self.until))
        return spans

    def previous(self) -> "DateRange":
        """What this range is compared with: as many days just before it; for a month, the
        same days of the month before (1 to 15 March against 1 to 15 February)."""
        if self.kind == "month":
            first = (self.first - timedelta(days=1)).replace(day=1)
            length = calendar.monthrange(first.year, first.month)[1]
            last = first.replace(day=min(self.days, length))
            return DateRange("month", first, last)
        return DateRange(self.kind, self.first - timedelta(self.days), self.first - timedelta(1))


def date_read(text: str, *, month: bool = False) -> date:
    """A date (or a month's first day) typed as ISO 8601, or a ValidationError saying how."""
    text = (text or "").strip()
    try:
        if len(text) != (7 if month else 10):
            raise ValueError(text)
        value = date.fromisoformat(text + "-01" if month else text)
    except ValueError:
        if month:
            message = _("“%(value)s” is not a month: write it as 2026-03.")
        else:
            message = _("“%(value)s” is not a date: write it as 2026-03-31.")
        raise ValidationError(message % {"value": text[:20]}) from None
    if value < EARLIEST:
        raise ValidationError(_("Choose a date from %(year)s on.") % {"year": EARLIEST.year})
    return value


def range_parse(
    kind: str = "", *, month: str = "", start: str = "", end: str = "", today: date | None = None
) -> DateRange:
    """The range a dashboard asks for, in site days; ValidationError with a sentence to show
    for anything else: an unknown kind, a date that is none, a first day after the last, a
    range beginning after today or longer than 366 days. A range reaching past today ends
    today (there is nothing to count yet)."""
    today = today or site_date()
    kind = kind or "30d"
    if kind == "today":
        return DateRange(kind, today, today)
    if kind in ("7d", "30d"):
        return DateRange(kind, today - timedelta(days=int(kind[:-1]) - 1), today)
    if kind == "month":
        first = date_read(month, month=True) if month else today.replace(day=1)
        if first > today:
            raise ValidationError(_("That month has not begun yet."))
        length = calendar.monthrange(first.year, first.month)[1]
        return DateRange(kind, first, min(first.replace(day=length), today))
    if kind != "custom":
        raise ValidationError(_("Choose a range: today, 7 days, 30 days, a month or two dates."))
    if not start or not end:
        raise ValidationError(_("Give both the first and the last day."))
    first, last = date_read(start), date_read(end)
    if first > last:
        raise ValidationError(_("The first day comes after the last one."))
    if first > today:
        raise ValidationError(_("The range begins after today."))
    last = min(last, today)
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError(_("A range covers at most 366 days."))
    return DateRange(kind, first, last)


# --- What the dashboard shows ----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A figure against the previous period: a percent change, or for a rate the difference in
    percentage points; None when there is nothing to compare (hidden, or nothing before)."""

    amount: int | None = None
    direction: str = ""  # "up", "down", "same"; "" without a comparison
    good: bool | None = None  # whether the change is welcome (fewer bounces are)


@dataclass(frozen=True)
class Figure:
    key: str  # "visitors", "views", "duration", "bounce_rate"
    label: str
    value: int | None  # None: hidden below the threshold, or not known
    previous: int | None
    change: Change
    points: bool = False  # the change is in percentage points

    @property
    def minutes(self) -> int:
        return (self.value or 0) // 60

    @property
    def seconds(self) -> int:
        return (self.value or 0) % 60


@dataclass(frozen=True)
class Point:
    """One day (or hour) of the chart."""

    start: datetime
    label: str  # "2026-03-31", or "14:00" for an hour
    views: int
    visitors: int | None  # None: below the threshold


@dataclass(frozen=True)
class Row:
    value: str
    label: str
    views: int
    visitors: int | None  # None: below the threshold
    bounce_rate: int | None = None
    average_seconds: int | None = None
    other: bool = False


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    column: str
    rows: list[Row]
    other: Row | None = None


@dataclass(frozen=True)
class Dashboard:
    range: DateRange
    previous: DateRange
    threshold: int
    figures: list[Figure]
    series: list[Point]
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)


@dataclass
class Sums:
    views: int = 0
    visitors: int = 0
    seconds: int = 0
    bounces: int = 0
    bounced_of: int = 0  # visitors of the rows whose bounces were counted

    def add(self, views, visitors, seconds, bounces) -> None:
        self.views += views
        self.visitors += visitors
        self.seconds += seconds or 0
        if bounces is not None:
            self.bounces += bounces
            self.bounced_of += visitors


def shown(count: int | None, threshold: int) -> int | None:
    """A visitor count, or None below the threshold."""
    return count if count is not None and count >= threshold else None


def bounce_rate(bounces: int | None, of: int | None, threshold: int) -> int | None:
    """The share of single-page visits in percent, over at least ``threshold`` visits."""
    if not of or of < threshold or bounces is None:
        return None
    return round(100 * bounces / of)


def change_of(now: int | None, before: int | None, *, points=False, lower_is_better=False):
    if now is None or before is None or (not points and before == 0):
        return Change()
    amount = now - before if points else round(100 * (now - before) / before)
    direction = "up" if amount > 0 else "down" if amount < 0 else "same"
    good = None if direction == "same" else (direction == "down") == lower_is_better
    return Change(abs(amount), direction, good)


def figures_of(now: Sums, before: Sums, threshold: int) -> list[Figure]:
    """The period's four figures, each with its change against the previous period."""

    def duration(sums: Sums) -> int | None:
        return round(sums.seconds / sums.visitors) if sums.visitors else None

    values = {
        "visitors": (shown(now.visitors, threshold), shown(before.visitors, threshold)),
        "views": (now.views, before.views),
        "duration": (duration(now), duration(before)),
        "bounce_rate": (
            bounce_rate(now.bounces, now.bounced_of, threshold),
            bounce_rate(before.bounces, before.bounced_of, threshold),
        ),
    }
    labels = {
        "visitors": _("Visitors"),
        "views": pgettext("dashboard", "Page views"),
        "duration": _("Visit duration"),
        "bounce_rate": _("Bounce rate"),
    }
    return [
        Figure(
            key=key,
            label=labels[key],
            value=current,
            previous=previous,
            change=change_of(
                current,
                previous,
                points=key == "bounce_rate",
                lower_is_better=key == "bounce_rate",
            ),
            points=key == "bounce_rate",
        )
        for key, (current, previous) in values.items()
    ]


def sums_over(chosen: DateRange) -> tuple[Sums, list[tuple]]:
    """The daily ``total`` rows of a range, summed, and the rows themselves."""
    rows = list(rollup_series(period=RollupPeriod.DAY, since=chosen.since, until=chosen.until))
    sums = Sums()
    for _start, views, visitors, seconds, bounces in rows:
        sums.add(views, visitors, seconds, bounces)
    return sums, rows


def series_of(chosen: DateRange, days: list[tuple], threshold: int) -> list[Point]:
    """A point per day of the range (per hour for one day), days without visits at zero."""
    zone = site_zone()
    if chosen.hourly:
        rows = rollup_series(period=RollupPeriod.HOUR, since=chosen.since, until=chosen.until)
        found = {start: (views, visitors) for start, views, visitors, _s, _b in rows}
        starts = [chosen.since + timedelta(hours=hour) for hour in range(24)]
        return [
            Point(
                start.astimezone(zone),
                f"{start.astimezone(zone):%H:00}",
                found.get(start, (0, 0))[0],
                shown(found.get(start, (0, 0))[1], threshold),
            )
            for start in starts
        ]
    found = {site_date(start): (views, visitors) for start, views, visitors, _s, _b in days}
    points = []
    for offset in range(chosen.days):
        day = chosen.first + timedelta(days=offset)
        views, visitors = found.get(day, (0, 0))
        start = datetime.combine(day, time(), tzinfo=zone)
        points.append(Point(start, day.isoformat(), views, shown(visitors, threshold)))
    return points


def value_label(dimension: str, value: str) -> str:
    """What a stored value reads as: devices and languages by name, no referrer as direct."""
    if dimension == "device":
        return str(DEVICE_LABELS.get(value, DEVICE_LABELS["other"]))
    if not value:
        return _("Direct or unknown") if dimension == "referrer" else _("Unknown")
    if dimension == "language":
        try:
            return f"{get_language_info(value)['name_translated']} ({value})"
        except KeyError:
            return value
    return value


def table_of(dimension: str, chosen: DateRange, threshold: int) -> Table:
    """One dimension's rows over the range, most visitors first; rows below the threshold
    folded into the "other" row."""
    totals = rollup_totals(dimension=dimension, spans=chosen.spans())
    rows, other = [], Sums()
    for total in totals:
        if total["visitors"] < threshold:
            other.add(total["views"], total["visitors"], 0, None)
            continue
        rows.append(
            Row(
                value=total["value"],
                label=value_label(dimension, total["value"]),
                views=total["views"],
                visitors=total["visitors"],
                bounce_rate=bounce_rate(total["bounces"], total["bounced_of"], threshold),
                average_seconds=round(total["seconds"] / total["views"]),
            )
        )
    rows.sort(key=lambda row: (-row.visitors, -row.views, row.value))
    folded = None
    if other.views:
        label = _("Other (small counts)")
        folded = Row("", label, other.views, shown(other.visitors, threshold), other=True)
    title, column = TABLES[dimension]
    return Table(dimension, str(title), str(column), rows, folded)


def dashboard(*, actor, range: DateRange) -> Dashboard:
    """Site usage over ``range`` against the period before it: the four figures, the chart's
    points and a table per dimension, from the rollups, small visitor counts hidden.
    Marketing and administrators (``view_aggregates``)."""
    access_require(actor, "view_aggregates")
    threshold = settings.PLEDGE_AGGREGATE_MIN_COUNT
    previous = range.previous()
    now, days = sums_over(range)
    before, _rows = sums_over(previous)
    return Dashboard(
        range=range,
        previous=previous,
        threshold=threshold,
        figures=figures_of(now, before, threshold),
        series=series_of(range, days, threshold),
        tables=[table_of(dimension, range, threshold) for dimension in TABLES],
    )


# --- CSV -------------------------------------------------------------------------------------


def hidden_text(threshold: int) -> str:
    return _("fewer than %(threshold)s") % {"threshold": threshold}


def dashboard_csv(report: Dashboard, key: str) -> tuple[str, str]:
    """(file name, CSV text) of one of the dashboard's tables: ``summary``, ``days`` (the
    chart's points) or a dimension; KeyError for anything else. Through ``csv_text``, so a
    page path or a campaign named like a formula opens as text."""
    hidden = hidden_text(report.threshold)

    def count(value):
        return hidden if value is None else value

    if key == "summary":
        columns = [_("Figure"), _("This period"), _("Previous period"), _("Change")]
        records = [
            {
                columns[0]: figure.label,
                columns[1]: "" if figure.value is None else figure.value,
                columns[2]: "" if figure.previous is None else figure.previous,
                columns[3]: change_text(figure),
            }
            for figure in report.figures
        ]
    elif key == "days":
        columns = [
            _("Hour") if report.range.hourly else _("Day"),
            pgettext("dashboard", "Page views"),
            _("Visitors"),
        ]
        records = [
            {columns[0]: point.label, columns[1]: point.views, columns[2]: count(point.visitors)}
            for point in report.series
        ]
    else:
        table = report.table(key)
        if table is None:
            raise KeyError(key)
        columns = [
            table.column,
            _("Visitors"),
            pgettext("dashboard", "Page views"),
            _("Bounce rate (%)"),
            _("Average seconds on page"),
        ]
        rows = table.rows + ([table.other] if table.other else [])
        records = [
            {
                columns[0]: row.label,
                columns[1]: count(row.visitors),
                columns[2]: row.views,
                columns[3]: row.bounce_rate,
                columns[4]: row.average_seconds,
            }
            for row in rows
        ]
    name = f"site-usage-{key}-{report.range.first.isoformat()}-{report.range.last.isoformat()}"
    return f"{name}.csv", csv_text(records, columns)


def change_text(figure: Figure) -> str:
    """A change as a sentence fragment for the CSV (the page draws an arrow instead)."""
    change = figure.change
    if not change.direction:
        return ""
    if change.direction == "same":
        return _("no change")
    arrow = "↑" if change.direction == "up" else "↓"  # a sign would read as a formula
    if figure.points:
        return _("%(arrow)s %(amount)s points") % {"arrow": arrow, "amount": change.amount}
    return f"{arrow} {change.amount}%"
