"""The console's site-usage dashboard page: every range, bad input, the CSV downloads, both
languages, and no style attribute or script (CSP)."""

import re

import pytest
from django.utils import timezone

from pledge.tracking.models import PageView
from pledge.tracking.rollups import rollups_refresh

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
URL = "/en/console/aggregates/"


@pytest.fixture
def traffic(settings):
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 2
    now = timezone.now()
    for number in range(6):
        PageView.objects.create(
            event_id=f"{number:032d}",
            at=now,
            path="/en/" if number % 2 else "/en/demo/",
            visitor_hash=f"v{number // 2}",
            referrer_domain="www.baidu.com",
            browser_family="Chrome",
            device_class="phone" if number < 4 else "computer",
            language="zh-cn",
            utm_campaign="spring",
        )
    rollups_refresh(now=now)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?range=today",
        "?range=7d",
        "?range=30d",
        "?range=month",
        "?range=month&month=2026-01",
        "?range=custom&from=2026-01-01&to=2026-12-31",
    ],
)
def test_every_range_shows_the_chart_and_tables(client_for, marketer, traffic, query):
    response = client_for(marketer).get(URL + query)
    assert response.status_code == 200
    page = response.text
    assert "<svg" in page and '<title id="chart-title">' in page and "<desc" in page
    for title in ("Top pages", "Sources", "Campaigns", "Languages", "Browsers", "Devices"):
        assert f">{title}</h2>" in page
    assert "Organisations visiting" in page
    assert " style=" not in page and "<script" not in page.split("<main")[-1]
    assert "web/dashboard.css" in page


def test_the_figures_and_the_tables_read_as_words(client_for, marketer, traffic):
    page = client_for(marketer).get(URL + "?range=today").text
    assert "Visitors" in page and "Bounce rate" in page and "Visit duration" in page
    assert (
        "Phone" in page
        and "Other (small counts)" in page
        and "phone" not in re.sub(r"<[^>]+>", "", page)
    )
    assert "Simplified Chinese (zh-cn)" in page
    assert "polyline" in page  # three visitors: above the threshold, drawn


def test_the_page_in_chinese(client_for, marketer, traffic):
    page = client_for(marketer).get("/console/aggregates/?range=7d").text
    for words in ("热门页面", "来源", "设备", "浏览量", "跳出率", "访问时长", "手机", "最近 7 天"):
        assert words in page
    assert "（" in page and "天），与" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?range=custom&from=2026-03-02&to=2026-03-01", "The first day comes after the last"),
        ("?range=custom&from=nonsense&to=2026-03-01", "“nonsense” is not a date"),
        ("?range=custom&from=2020-01-01&to=2026-03-01", "at most 366 days"),
        ("?range=month&month=2999-01", "has not begun yet"),
        ("?range=forever", "Choose a range"),
        ("?range=custom&from=2026-03-02&to=2026-03-01&csv=page", "comes after the last"),
    ],
)
def test_bad_input_says_why(client_for, marketer, query, message):
    response = client_for(marketer).get(URL + query)
    assert response.status_code == 400
    assert message in response.text and "<svg" in response.text


def test_bad_input_in_chinese(client_for, marketer):
    response = client_for(marketer).get("/console/aggregates/?range=custom&from=x&to=y")
    assert response.status_code == 400 and "不是日期" in response.text


@pytest.mark.parametrize(
    "query",
    [
        "range=month&month=0001-01",
        "range=custom&from=0001-01-01&to=0001-01-09",
        "range=month&month=9999-12",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_not_a_crash(client_for, marketer, query):
    response = client_for(marketer).get(f"/en/console/aggregates/?{query}")
    assert response.status_code == 400, response.status_code
    assert "alert" in response.text


def test_each_table_downloads_as_csv(client_for, marketer, traffic):
    client = client_for(marketer)
    for table in ("summary", "days", "page", "referrer", "campaign", "language", "browser"):
        response = client.get(f"{URL}?range=7d&csv={table}")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert re.match(
            rf'attachment; filename="site-usage-{table}-\d{{4}}-\d\d-\d\d-\d{{4}}-\d\d-\d\d\.csv"',
            response["Content-Disposition"],
        )
    devices = client.get(f"{URL}?range=today&csv=device").text.splitlines()
    assert devices[0].startswith("Device,Visitors,Page views")
    assert devices[1].startswith("Phone,2,4,")
    assert client.get(f"{URL}?csv=nothing").status_code == 404
    page = client.get(URL + "?range=7d").text
    assert "?range=7d&amp;csv=page" in page


def test_marketing_and_administrators_only(client_for, support, administrator):
    assert client_for(support).get(URL).status_code == 403
    assert client_for(support).get(URL + "?csv=page").status_code == 403
    assert client_for(administrator).get(URL).status_code == 200


def test_organisations_visiting_links_to_identification(client_for, marketer):
    """The dashboard points at identification, whose own page checks the assessment."""
    page = client_for(marketer).get(URL + "?range=7d").text
    assert "See the organisations visiting" in page and "?days=7" in page
