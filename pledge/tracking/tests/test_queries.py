"""P15: the site-usage dashboard's reads: ranges, the threshold on visitors only, comparisons,
bounces and devices in the rollups, and its CSV files."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from pledge.tracking.models import PageView, Rollup
from pledge.tracking.queries import (
    Change,
    DateRange,
    change_of,
    dashboard,
    dashboard_csv,
    range_parse,
)
from pledge.tracking.rollups import rollups_refresh
from pledge.vault.actors import Actor

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

counter = iter(range(10**6))


@pytest.fixture(autouse=True)
def english():
    """English unless a test reads Chinese (the site's default language)."""
    with translation.override("en"):
        yield


def view(visitor: str, at=None, **fields):
    defaults = {"path": "/en/", "visitor_hash": visitor, "browser_family": "Chrome"}
    return PageView.objects.create(
        event_id=f"{next(counter):032d}", at=at or timezone.now(), **{**defaults, **fields}
    )


def report_for(marketer, kind="7d", **asked):
    return dashboard(actor=Actor.staff(marketer), range=range_parse(kind, **asked))


# --- Ranges ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "asked", "today", "expected", "before"),
    [
        ("today", {}, "2027-01-01", ("2027-01-01", "2027-01-01"), ("2026-12-31", "2026-12-31")),
        ("7d", {}, "2027-01-03", ("2026-12-28", "2027-01-03"), ("2026-12-21", "2026-12-27")),
        ("30d", {}, "2026-03-01", ("2026-01-31", "2026-03-01"), ("2026-01-01", "2026-01-30")),
        # This month so far, against the same days of the month before, clamped to its end.
        ("month", {}, "2026-03-31", ("2026-03-01", "2026-03-31"), ("2026-02-01", "2026-02-28")),
        ("month", {}, "2028-03-30", ("2028-03-01", "2028-03-30"), ("2028-02-01", "2028-02-29")),
        (
            "month",
            {"month": "2026-12"},
            "2027-01-01",
            ("2026-12-01", "2026-12-31"),
            ("2026-11-01", "2026-11-30"),
        ),
        (
            "custom",
            {"start": "2026-12-30", "end": "2027-01-02"},
            "2027-06-01",
            ("2026-12-30", "2027-01-02"),
            ("2026-12-26", "2026-12-29"),
        ),
        # A range reaching past today ends today.
        (
            "custom",
            {"start": "2026-12-30", "end": "2027-02-01"},
            "2027-01-01",
            ("2026-12-30", "2027-01-01"),
            ("2026-12-27", "2026-12-29"),
        ),
        ("", {}, "2026-01-01", ("2025-12-03", "2026-01-01"), ("2025-11-03", "2025-12-02")),
    ],
)
def test_ranges_at_month_and_year_ends(kind, asked, today, expected, before):
    chosen = range_parse(kind, today=date.fromisoformat(today), **asked)
    previous = chosen.previous()
    assert (chosen.first.isoformat(), chosen.last.isoformat()) == expected
    assert (previous.first.isoformat(), previous.last.isoformat()) == before
    if kind != "month":
        assert previous.days == chosen.days


@pytest.mark.parametrize(
    ("kind", "asked", "message"),
    [
        ("custom", {"start": "yesterday", "end": "2026-03-01"}, "is not a date"),
        ("custom", {"start": "2026-02-30", "end": "2026-03-01"}, "is not a date"),
        ("custom", {"start": "2026-03-02", "end": "2026-03-01"}, "comes after the last"),
        ("custom", {"start": "2025-01-01", "end": "2026-03-01"}, "at most 366 days"),
        ("custom", {"start": "2026-03-01"}, "both the first and the last"),
        ("custom", {"start": "2026-04-01", "end": "2026-04-02"}, "begins after today"),
        ("month", {"month": "2026-13"}, "is not a month"),
        ("month", {"month": "0001-01"}, "from 2000 on"),  # its month before is none
        ("custom", {"start": "0001-01-01", "end": "0001-01-02"}, "from 2000 on"),
        ("month", {"month": "2026-04"}, "has not begun"),
        ("week", {}, "Choose a range"),
    ],
)
def test_bad_ranges_are_refused_with_a_sentence(kind, asked, message):
    with pytest.raises(ValidationError) as refused:
        range_parse(kind, today=date(2026, 3, 15), **asked)
    assert message in " ".join(refused.value.messages)


def test_bad_ranges_are_refused_in_chinese_too():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        range_parse("custom", start="2026-03-02", end="2026-03-01", today=date(2026, 3, 15))
    text = " ".join(refused.value.messages)
    assert "第一天" in text and "。" in text


def test_366_days_are_allowed():
    chosen = range_parse("custom", start="2025-03-15", end="2026-03-15", today=date(2026, 3, 15))
    assert chosen.days == 366


def test_the_default_range_ends_on_shanghais_today(local_new_year):
    assert range_parse("today").first == date(2027, 1, 1)  # UTC still reads 31 December


# --- Comparisons -----------------------------------------------------------------------------


def test_comparison_math():
    assert change_of(120, 100) == Change(20, "up", True)
    assert change_of(80, 100) == Change(20, "down", False)
    assert change_of(100, 100) == Change(0, "same", None)
    assert change_of(1, 3) == Change(67, "down", False)  # rounded
    assert change_of(5, 0) == Change()  # nothing to compare with
    assert change_of(None, 10) == Change() and change_of(10, None) == Change()
    # A rate: the difference in points, fewer bounces welcome.
    assert change_of(40, 50, points=True, lower_is_better=True) == Change(10, "down", True)
    assert change_of(55, 50, points=True, lower_is_better=True) == Change(5, "up", False)
    assert change_of(30, 0, points=True) == Change(30, "up", True)


def test_figures_compare_with_the_previous_period(settings, marketer):
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 1
    now = timezone.now()
    for number in range(4):  # this week: four visitors, one page each
        view(f"a{number}", now)
    for number in range(2):  # the week before: two visitors, two pages each
        view(f"b{number}", now - timedelta(days=8), seconds=30)
        view(f"b{number}", now - timedelta(days=8), path="/en/demo/", seconds=30)
    rollups_refresh(now=now - timedelta(days=8))
    rollups_refresh(now=now)
    figures = {figure.key: figure for figure in report_for(marketer).figures}
    assert (figures["visitors"].value, figures["visitors"].previous) == (4, 2)
    assert figures["visitors"].change == Change(100, "up", True)
    assert figures["views"].change == Change(0, "same", None)
    assert (figures["bounce_rate"].value, figures["bounce_rate"].previous) == (100, 0)
    assert figures["bounce_rate"].change == Change(100, "up", False)
    assert (figures["duration"].value, figures["duration"].previous) == (0, 60)


# --- The threshold hides small visitor counts only --------------------------------------------


def test_the_threshold_hides_visitors_never_views(settings, marketer):
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 3
    now = timezone.now()
    for number in range(4):
        view(f"v{number}", now, referrer_domain="www.baidu.com")
    view("rare", now, referrer_domain="rare.example")
    view("rare", now, referrer_domain="rare.example", path="/en/demo/")
    rollups_refresh(now=now)
    report = report_for(marketer)
    figures = {figure.key: figure for figure in report.figures}
    assert figures["visitors"].value == 5 and figures["views"].value == 6
    referrers = report.table("referrer")
    assert [row.value for row in referrers.rows] == ["www.baidu.com"]
    assert (referrers.other.views, referrers.other.visitors) == (2, None)
    # A day of the chart below the threshold keeps its views.
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 10
    report = report_for(marketer)
    figures = {figure.key: figure for figure in report.figures}
    assert figures["visitors"].value is None and figures["views"].value == 6
    assert figures["bounce_rate"].value is None  # four in five would count the five
    today = report.series[-1]
    assert (today.views, today.visitors) == (6, None)
    assert report.table("referrer").rows == []
    assert report.table("referrer").other.views == 6


def test_bounces_and_devices_are_counted(settings, marketer):
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 1
    now = timezone.now()
    view("reader", now, device_class="computer")
    view("reader", now, path="/en/demo/", device_class="computer")
    view("glancer", now, device_class="phone")
    view("skimmer", now, device_class="phone", path="/en/demo/")
    rollups_refresh(now=now)
    day = Rollup.objects.get(period="day", dimension="total")
    assert (day.visitors, day.bounces) == (3, 2)
    pages = dict(
        Rollup.objects.filter(period="day", dimension="page").values_list("value", "bounces")
    )
    assert pages == {"/en/": 1, "/en/demo/": 1}
    report = report_for(marketer, "today")
    assert {figure.key: figure.value for figure in report.figures}["bounce_rate"] == 67
    with translation.override("zh-hans"):
        devices = report_for(marketer, "today").table("device").rows
    assert {row.label: row.visitors for row in devices} == {"手机": 2, "电脑": 1}


def test_rows_counted_before_bounces_make_no_rate(settings, marketer):
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 1
    view("one", timezone.now())
    rollups_refresh()
    Rollup.objects.update(bounces=None)  # as the rows written before bounces were counted
    report = report_for(marketer, "today")
    assert {figure.key: figure.value for figure in report.figures}["bounce_rate"] is None
    assert report.table("page").rows[0].bounce_rate is None


def test_today_is_charted_by_the_hour(settings, marketer):
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 1
    now = timezone.now()
    view("one", now)
    rollups_refresh(now=now)
    report = report_for(marketer, "today")
    assert len(report.series) == 24
    local = timezone.localtime(now, timezone.get_default_timezone())
    [point] = [point for point in report.series if point.views]
    assert point.label == f"{local:%H}:00" and point.visitors == 1


def test_the_dashboard_needs_view_aggregates(support):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        dashboard(actor=Actor.staff(support), range=range_parse("today"))


# --- CSV -------------------------------------------------------------------------------------


def test_csv_of_every_table_escapes_formulas(settings, marketer):
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 2
    now = timezone.now()
    for number in range(3):
        view(f"v{number}", now, utm_campaign='=HYPERLINK("http://evil.example","x")')
    view("alone", now, utm_campaign="rare")
    rollups_refresh(now=now)
    report = report_for(marketer)
    name, text = dashboard_csv(report, "campaign")
    assert name.startswith("site-usage-campaign-") and name.endswith(".csv")
    lines = text.splitlines()
    assert lines[0] == "Campaign,Visitors,Page views,Bounce rate (%),Average seconds on page"
    assert lines[1].startswith("\"'=HYPERLINK(")  # a quote: opened as text, never run
    assert lines[2] == "Other (small counts),fewer than 2,1,,"
    for key in ("summary", "days", "page", "referrer", "language", "browser", "device"):
        assert dashboard_csv(report, key)[1].count("\n") >= 2
    summary = dashboard_csv(report, "summary")[1]
    assert "Visitors,4,,\r\n" in summary and "Page views,4,0,\r\n" in summary
    with pytest.raises(KeyError):
        dashboard_csv(report, "secrets")
    with translation.override("zh-hans"):
        chinese = dashboard_csv(report_for(marketer), "campaign")[1]
    assert chinese.splitlines()[2].startswith("其他（数量较少）,少于 2,1")


def test_a_range_is_a_value():
    chosen = DateRange("custom", date(2026, 2, 27), date(2026, 3, 1))
    assert chosen.days == 3 and not chosen.hourly
    assert chosen.until - chosen.since == timedelta(days=3)


def test_long_ranges_read_whole_months_from_month_rows():
    chosen = DateRange("custom", date(2026, 1, 15), date(2026, 4, 2))
    spans = [
        (period, f"{since:%m-%d}", f"{until:%m-%d}") for period, since, until in chosen.spans()
    ]
    assert spans == [
        ("month", "02-01", "04-01"),
        ("day", "01-15", "02-01"),
        ("day", "04-01", "04-03"),
    ]
    month = DateRange("month", date(2026, 2, 1), date(2026, 2, 28))
    assert [period for period, *_ in month.spans()] == ["month"]
    assert [
        period for period, *_ in DateRange("7d", date(2026, 2, 1), date(2026, 2, 7)).spans()
    ] == ["day"]


def test_month_rows_sum_the_days_and_the_tables_agree(settings, marketer, time_machine):
    """Two visits on the last day of a month and one on the first of the next, in Shanghai:
    each month's rows hold its own, and a range over both reads the same from either."""
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 1
    time_machine.move_to("2026-03-31T15:00:00+00:00", tick=False)  # 23:00 on 31 March there
    view("march", path="/en/a/")
    view("march", path="/en/b/")
    rollups_refresh()
    time_machine.move_to("2026-03-31T17:00:00+00:00", tick=False)  # 01:00 on 1 April there
    view("april", path="/en/a/")
    rollups_refresh()
    months = {
        (f"{row.start.astimezone(SHANGHAI):%m-%d}", row.value): (row.views, row.bounces)
        for row in Rollup.objects.filter(period="month", dimension="page")
    }
    assert months == {
        ("03-01", "/en/a/"): (1, 0),
        ("03-01", "/en/b/"): (1, 0),
        ("04-01", "/en/a/"): (1, 1),
    }
    time_machine.move_to("2026-05-10T04:00:00+00:00", tick=False)

    def pages(start, end):
        report = report_for(marketer, "custom", start=start, end=end)
        return {row.value: row.views for row in report.table("page").rows}

    assert pages("2026-03-01", "2026-04-30") == {"/en/a/": 2, "/en/b/": 1}  # two month rows
    assert pages("2026-03-31", "2026-04-30") == {"/en/a/": 2, "/en/b/": 1}  # a day, a month
    assert pages("2026-04-01", "2026-04-30") == {"/en/a/": 1}
