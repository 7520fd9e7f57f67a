"""The site-usage dashboard in a real Chromium as the marketing staff member sees it: the SVG
chart, the figures and the tables in both languages, a range chosen with JavaScript off's
plain forms, a CSV download, and screenshots at desktop width and at 390 px."""

import pytest

pytestmark = pytest.mark.browser

SEED = """
from datetime import timedelta
from django.utils import timezone
from pledge.tracking.models import PageView
from pledge.tracking.rollups import rollups_refresh
now = timezone.now()
number = 0
for day in range(14):
    for visitor in range(3 + day % 5):
        for page in ("/en/", "/en/demo/", "/zh/")[: 1 + visitor % 3]:
            number += 1
            PageView.objects.create(
                event_id=f"e2e-dash-{number:023d}",
                at=now - timedelta(days=day, minutes=visitor),
                path=page,
                visitor_hash=f"d{day}v{visitor}",
                referrer_domain=("www.baidu.com", "", "www.bing.com")[visitor % 3],
                browser_family=("Chrome", "Safari", "WeChat")[visitor % 3],
                device_class=("computer", "phone", "computer")[visitor % 3],
                language=("zh-cn", "en-us", "zh-cn")[visitor % 3],
                utm_campaign="spring-launch" if visitor % 2 else "",
                seconds=20 + visitor * 7,
            )
for day in range(15, -1, -1):
    rollups_refresh(now=now - timedelta(days=day))
print(number)
"""


@pytest.fixture(scope="module")
def traffic(server):
    """Two weeks of page views, rolled up as the periodic job does."""
    return int(server.pledge("shell", "-v0", "-c", SEED).strip().splitlines()[-1])


@pytest.mark.timeout(180, func_only=True)
def test_the_dashboard_in_both_languages(server, page, staff_login, screenshot, traffic):
    staff_login(page, username="lin.xiao")
    page.goto(f"{server.url}/en/console/aggregates/?range=7d")
    chart = page.locator("figure.chart svg")
    assert chart.get_attribute("role") == "img"
    assert "per day" in chart.locator("title").first.text_content()
    assert chart.locator("rect.chart-bar").count() == 7
    assert chart.locator("polyline.chart-line").count() >= 1
    figures = page.locator("ul.figures li")
    assert figures.count() == 4
    assert "Visitors" in figures.first.inner_text()
    assert "against the previous period" in page.locator("ul.figures").inner_text()
    for title in ("Top pages", "Sources", "Campaigns", "Languages", "Browsers", "Devices"):
        assert page.get_by_role("heading", name=title).is_visible()
    assert (
        "www.baidu.com" in page.locator("#table-referrer").locator("..").locator("..").inner_text()
    )
    assert page.locator("nav.range-links a[aria-current=page]").inner_text() == "Last 7 days"
    screenshot(page, "dashboard-en")

    # A custom range through the plain form; a bad one says why.
    page.locator("#id_from").fill("2026-03-02")
    page.locator("#id_to").fill("2026-03-01")
    page.locator("#id_to").locator("xpath=..").locator("button").click()
    assert "The first day comes after the last one." in page.locator(".alert-error").inner_text()

    # A table as CSV: a download, not a page.
    page.goto(f"{server.url}/en/console/aggregates/?range=7d")
    with page.expect_download() as download:
        page.locator("a[href$='csv=page']").click()
    assert download.value.suggested_filename.startswith("site-usage-page-")

    page.goto(f"{server.url}/console/aggregates/?range=7d")
    text = page.locator("main").inner_text()
    for words in ("网站使用情况", "热门页面", "来源", "设备", "浏览量", "跳出率", "最近 7 天"):
        assert words in text, words
    assert "，" in text and "（与上一期相比）" in text
    assert "Top pages" not in text
    screenshot(page, "dashboard-zh")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/en/console/aggregates/?range=30d")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone's screen
    screenshot(page, "dashboard-390")


@pytest.mark.timeout(120, func_only=True)
def test_the_dashboard_works_without_javascript(server, page_without_javascript, staff_login):
    page = page_without_javascript
    staff_login(page, username="lin.xiao")
    page.goto(f"{server.url}/en/console/aggregates/")
    page.locator("#id_month").fill("2026-01")
    page.locator("#id_month").locator("xpath=..").locator("button").click()
    assert "range=month" in page.url
    assert page.locator("figure.chart svg").count() == 1
