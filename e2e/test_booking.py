"""A demo request becomes a booked meeting in both calendars; experts keep to their own leads."""

import re

import pytest
from icalendar import Calendar

pytestmark = pytest.mark.browser


def invite_of(message) -> Calendar:
    part = next(p for p in message.iter_attachments() if p.get_filename() == "invite.ics")
    return Calendar.from_ical(part.get_content())


def test_a_demo_request_is_booked_with_an_invite_in_both_inboxes(
    server, page, context_of, inbox, staff_login
):
    page.goto(server.url + "/en/demo/")
    page.get_by_label("Name", exact=True).fill("Maya Lin")
    page.get_by_label("Email address", exact=True).fill("maya.lin@e2e-booking.cn")
    page.get_by_label("Company", exact=True).fill("Lin Design")
    page.get_by_label("Online").check()
    page.get_by_label("Weekday afternoons (13:00\u201318:00)").check()
    page.locator(".human-sum").wait_for(state="hidden", timeout=30_000)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you").wait_for()

    invitation = inbox.wait_for("maya.lin@e2e-booking.cn", subject="Choose a time")
    link = re.search(
        r"http://\S+/demo/booking/\S+/", invitation.get_body(("plain",)).get_content()
    ).group(0)
    page.goto(link)
    page.get_by_role("button", name="Book this time").click()
    page.get_by_role("heading", name="Your demo is booked").wait_for()

    visitor_copy = inbox.wait_for("maya.lin@e2e-booking.cn", subject="Your Gonex demo is booked")
    expert_copy = inbox.wait_for("chen.jing@letsgonex.com", subject="您的 Gonex 演示已预约")
    for message in (visitor_copy, expert_copy):
        calendar = invite_of(message)
        event = next(iter(calendar.walk("VEVENT")))
        assert calendar["method"] == "REQUEST"
        assert str(event["url"]).startswith("https://meet.letsgonex.cn/")
    assert str(next(iter(invite_of(visitor_copy).walk("VEVENT")))["uid"]) == str(
        next(iter(invite_of(expert_copy).walk("VEVENT")))["uid"]
    )

    # The other expert may not open this lead (P22): the link in the expert's email is refused.
    lead_url = re.search(
        r"http://\S+/console/leads/\S+/", expert_copy.get_body(("plain",)).get_content()
    ).group(0)
    other = context_of()
    staff_login(other, username="li.ming")
    response = other.goto(lead_url)
    assert response.status == 403
    staff_login(page, username="chen.jing")
    assert page.goto(lead_url).status == 200
    assert "Maya Lin" in page.content()
