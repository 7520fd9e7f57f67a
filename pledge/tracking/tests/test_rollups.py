"""P15: hourly and daily counts, bots left out, small counts hidden on the dashboard."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from pledge.tracking.models import PageView, Rollup
from pledge.tracking.queries import dashboard, range_parse
from pledge.tracking.rollups import rollups_refresh
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def view(number: int, at, **fields):
    defaults = {"path": "/en/", "visitor_hash": f"v{number}", "browser_family": "Chrome"}
    return PageView.objects.create(event_id=f"{number:032d}", at=at, **{**defaults, **fields})


def test_counts_per_hour_and_day_leave_bots_out_and_are_idempotent():
    now = timezone.now().replace(minute=30)
    view(1, now, referrer_domain="www.baidu.com", seconds=20)
    view(2, now, visitor_hash="v1", path="/en/pricing", seconds=40)
    view(3, now, utm_campaign="spring", language="zh-cn")
    view(4, now, is_bot=True, browser_family="Googlebot")
    view(5, now - timedelta(hours=1))

    written = rollups_refresh(now=now)
    assert written and rollups_refresh(now=now) == written  # a second run changes nothing
    hour = now.replace(minute=0, second=0, microsecond=0)
    total = Rollup.objects.get(period="hour", start=hour, dimension="total")
    assert (total.views, total.visitors, total.seconds) == (3, 2, 60)
    pages = dict(
        Rollup.objects.filter(period="hour", start=hour, dimension="page").values_list(
            "value", "views"
        )
    )
    assert pages == {"/en/": 2, "/en/pricing": 1}
    assert not Rollup.objects.filter(value="Googlebot").exists()
    assert Rollup.objects.get(period="hour", start=hour, dimension="campaign").value == "spring"

    # Days are Shanghai's: in its first hour the hour before belongs to yesterday.
    def midnight_before(moment):
        return moment.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)

    today, hour_before = midnight_before(now), midnight_before(now - timedelta(hours=1))
    daily = dict(
        Rollup.objects.filter(period="day", dimension="total").values_list("start", "views")
    )
    assert daily == ({today: 4} if hour_before == today else {today: 3, hour_before: 1})


def test_the_dashboard_hides_counts_below_the_threshold(settings, client_for, marketer, support):
    settings.PLEDGE_AGGREGATE_MIN_COUNT = 3
    now = timezone.now()
    for number in range(4):
        view(number, now, referrer_domain="www.baidu.com")
    view(10, now, referrer_domain="rare.example")  # one visitor: could point at a person
    rollups_refresh(now=now)
    report = dashboard(actor=Actor.staff(marketer), range=range_parse("7d"))
    referrers = {row.value: row for row in report.table("referrer").rows}
    assert referrers["www.baidu.com"].visitors == 4
    assert "rare.example" not in referrers
    other = report.table("referrer").other
    assert other.views == 1 and other.visitors is None  # its visitors below the threshold
    page = client_for(marketer).get("/en/console/aggregates/").content.decode()
    assert "www.baidu.com" in page and "rare.example" not in page
    assert client_for(support).get("/en/console/aggregates/").status_code == 403
