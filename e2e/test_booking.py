"""A demo request becomes a booked meeting in both calendars; experts keep to their own leads.

The visitor chooses on a week grid in their own zone (read by the browser), or without
JavaScript on the list grouped by day; cancelling asks first and passes the reason on."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

pytestmark = pytest.mark.browser

NEW_YORK = ZoneInfo("America/New_York")


def invite_of(message) -> Calendar:
    part = next(p for p in message.iter_attachments() if p.get_filename() == "invite.ics")
    return Calendar.from_ical(part.get_content())


def instant_of(key: str) -> datetime:
    """A slot button's value: its start in UTC, ``YYYYMMDDTHHMM``."""
    return datetime.strptime(key, "%Y%m%dT%H%M").replace(tzinfo=UTC)


def test_a_demo_is_booked_on_the_grid_in_new_york_time_and_cancelled_with_a_reason(
    server, page, context_of, inbox, staff_login, screenshot, demo_requested
):
    link = demo_requested(
        page,
        name="Maya Lin",
        email="maya.lin@e2e-booking.cn",
        company="Lin Design",
        times="Weekday afternoons",
    )
    visitor = context_of(timezone_id="America/New_York")
    visitor.goto(link)
    visitor.wait_for_url(re.compile(r"tz=America%2FNew_York"))  # read from the browser
    assert visitor.locator("#booking-tz").input_value() == "America/New_York"
    grid = visitor.locator(".booking-grid")
    grid.wait_for(state="visible")
    assert not visitor.locator(".booking-list").is_visible()
    assert grid.locator(".booking-day").count() == 7
    screenshot(visitor, "booking-grid-en")
    first = grid.locator(".booking-slot").first
    key = first.get_attribute("value")
    assert first.inner_text() == f"{instant_of(key).astimezone(NEW_YORK):%H:%M}"
    first.click()
    visitor.get_by_role("heading", name="Confirm this time").wait_for()
    visitor.get_by_role("button", name="Book this time").click()
    visitor.get_by_role("heading", name="Your demo is booked").wait_for()

    visitor_copy = inbox.wait_for("maya.lin@e2e-booking.cn", subject="Your Gonex demo is booked")
    expert_copy = inbox.wait_for("chen.jing@letsgonex.com", subject="您的 Gonex 演示已预约")
    local = instant_of(key).astimezone(NEW_YORK)
    text = visitor_copy.get_body(("plain",)).get_content()
    # Each zone by its place in the reader's language, with its offset on the meeting's day.
    offset = f"UTC\u2212{-local.utcoffset() // timedelta(hours=1):02d}:00"
    assert f"{local:%Y-%m-%d %H:%M} (New York {offset})" in text
    expert_text = expert_copy.get_body(("plain",)).get_content()
    assert f"纽约 {offset}" in expert_text and "北京、上海 UTC+08:00" in expert_text
    event = next(iter(invite_of(visitor_copy).walk("VEVENT")))
    assert event["dtstart"].params["TZID"] == "America/New_York"
    assert event.decoded("dtstart") == instant_of(key)  # the right instant
    assert str(event["uid"]) == str(next(iter(invite_of(expert_copy).walk("VEVENT")))["uid"])
    assert str(event["url"]).startswith("https://meet.letsgonex.cn/")
    # The email's links: the manage page and the calendar file, in the visitor's language.
    manage = re.search(r"http://\S+/en/demo/booking/\S+/\?tz=\S+", text).group(0)
    calendar = re.search(r"http://\S+/invite\.ics\S*", text).group(0)
    assert visitor.request.get(calendar).headers["content-type"].startswith("text/calendar")

    # The same page in Chinese, and at 390 px.
    chinese = context_of(timezone_id="America/New_York")
    chinese.goto(manage.replace("/en/", "/"))
    chinese.get_by_role("heading", name="您的演示").wait_for()
    chinese.locator(".booking-grid").wait_for(state="visible")
    screenshot(chinese, "booking-grid-zh")
    chinese.set_viewport_size({"width": 390, "height": 844})
    assert chinese.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(chinese, "booking-grid-390")

    # Cancelling asks first; the reason reaches the expert.
    visitor.goto(manage)
    visitor.get_by_role("link", name="Cancel the demo").click()
    visitor.get_by_role("heading", name="Cancel this meeting?").wait_for()
    visitor.get_by_label("Reason (optional)").fill("Our budget review moved to next quarter.")
    visitor.get_by_role("button", name="Yes, cancel the demo").click()
    visitor.get_by_role("heading", name="Your demo is cancelled").wait_for()
    cancelled = inbox.wait_for("chen.jing@letsgonex.com", subject="您的 Gonex 演示已取消")
    assert "Our budget review moved" in cancelled.get_body(("plain",)).get_content()
    assert invite_of(cancelled)["method"] == "CANCEL"

    # The other expert may not open this lead (P22): the link in the expert's email is refused.
    lead_url = re.search(r"http://\S+/console/leads/\S+/", expert_text).group(0)
    other = context_of()
    staff_login(other, username="li.ming")
    assert other.goto(lead_url).status == 403
    staff_login(page, username="chen.jing")
    assert page.goto(lead_url).status == 200
    assert "Maya Lin" in page.content()


def test_without_javascript_the_times_are_a_list_by_day_and_the_zone_a_form(
    server, page, page_without_javascript, inbox, demo_requested
):
    link = demo_requested(
        page,
        name="Noah Park",
        email="noah.park@e2e-booking.cn",
        company="Lin Design",
        times="Weekday afternoons",
    )
    plain = page_without_javascript
    plain.goto(link)
    assert plain.locator("#booking-tz").input_value() == "Asia/Shanghai"  # the site's zone
    assert plain.locator(".booking-list").is_visible()
    assert not plain.locator(".booking-grid").is_visible()
    first = plain.locator(".booking-list .booking-slot").first
    key = first.get_attribute("value")
    assert first.inner_text() == f"{instant_of(key).astimezone(ZoneInfo('Asia/Shanghai')):%H:%M}"
    plain.locator("#booking-tz").select_option("America/New_York")
    plain.get_by_role("button", name="Show times").click()
    plain.wait_for_url(re.compile(r"tz=America%2FNew_York"))
    first = plain.locator(".booking-list .booking-slot").first
    assert (
        first.inner_text()
        == f"{instant_of(first.get_attribute('value')).astimezone(NEW_YORK):%H:%M}"
    )
    first.click()
    plain.get_by_role("button", name="Book this time").click()
    plain.get_by_role("heading", name="Your demo is booked").wait_for()
