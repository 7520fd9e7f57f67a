"""An expert sets their week on the grid (without JavaScript: plain form posts), adds a holiday,
and the visitor's booking page offers nothing that day; the booked demo is on the expert's
Today page, in English and in Chinese.

The expert is one of their own (``ana.zhao``, English leads only), made through the product's
services, so the demo site's experts keep their working week for the other browser tests; she
stops taking leads when the test ends, passed or failed."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
USERNAME = "ana.zhao"
VISITOR = "grace.ho@e2e-availability.cn"

# Made by the product's own services; the password is printed once, as the console shows it.
EXPERT_CREATE = f"""
from django.utils import timezone
from pledge.meetings.models import Expert
from pledge.vault.access import Role
from pledge.vault.actors import Actor
from pledge.vault.staff import staff_create
user, password = staff_create(
    username="{USERNAME}", email="{USERNAME}@letsgonex.com", roles=[Role.SALES_EXPERT],
    actor=Actor.system("e2e"),
)
Expert.objects.create(
    user=user, display_name="Ana Zhao", languages=["en"], forms=["demo"],
    time_zone="Asia/Shanghai", meeting_link="https://meet.letsgonex.cn/ana.zhao",
)
# The next English demo is hers: the others have had one "now" in the round robin's eyes.
Expert.objects.exclude(user=user).filter(last_assigned_at=None).update(
    last_assigned_at=timezone.now()
)
print("PASSWORD", password)
"""
EXPERT_STOP = f"""
from pledge.meetings.models import Expert
Expert.objects.filter(user__username="{USERNAME}").update(active=False)
"""


def instant_of(key: str) -> datetime:
    return datetime.strptime(key, "%Y%m%dT%H%M").replace(tzinfo=UTC)


@pytest.fixture
def ana(server):
    """Ana Zhao, a sales expert with a password, next in the round robin; afterwards she takes
    no more leads, so the other browser tests' demos go to the seeded experts."""
    output = server.pledge("shell", "-c", EXPERT_CREATE)
    server.passwords[USERNAME] = output.split("PASSWORD")[1].split()[0]
    yield USERNAME
    server.pledge("shell", "-c", EXPERT_STOP)


def test_an_expert_sets_the_grid_and_a_holiday_and_today_shows_the_demo(
    server, ana, page, page_without_javascript, context_of, staff_login, screenshot, demo_requested
):
    expert = page_without_javascript
    staff_login(expert, username=ana)
    expert.goto(server.url + "/en/console/availability/")
    expert.get_by_role("heading", name=re.compile("Availability")).wait_for()

    # Every day, 10:00 to 12:00: four half hours a day, ticked one by one.
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        for at in ("10:00", "10:30", "11:00", "11:30"):
            expert.get_by_label(f"{day} {at}", exact=True).check()
    expert.get_by_label("Buffer between meetings (minutes)").fill("15")
    expert.get_by_label("Minimum notice (hours)").fill("0")
    expert.get_by_role("button", name="Save", exact=True).click()
    expert.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert expert.get_by_label("Wednesday 11:30", exact=True).is_checked()
    assert not expert.get_by_label("Wednesday 12:00", exact=True).is_checked()

    # A holiday tomorrow, in her zone; and a refusal that keeps what was typed.
    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    expert.get_by_label("Kind").select_option(label="Holiday")
    expert.get_by_label("First day").fill(f"{tomorrow:%Y-%m-%d}")
    expert.get_by_label("Last day").fill(f"{tomorrow - timedelta(days=2):%Y-%m-%d}")
    expert.get_by_label("Note").fill("Company holiday")
    expert.get_by_role("button", name="Add", exact=True).click()
    assert "The last day comes before the first." in expert.content()
    assert expert.get_by_label("Note").input_value() == "Company holiday"
    expert.get_by_label("Last day").fill("")
    expert.get_by_role("button", name="Add", exact=True).click()
    expert.locator("#time-off").get_by_text("Company holiday").wait_for()
    screenshot(expert, "availability-en")
    # At 390 px the whole week fits, with short day names; the page does not scroll sideways.
    expert.set_viewport_size({"width": 390, "height": 844})
    assert expert.evaluate("document.documentElement.scrollWidth") <= 390
    grid_box = expert.locator(".availability-scroll")
    assert grid_box.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert expert.get_by_role("columnheader", name="Sunday").is_visible()
    screenshot(expert, "availability-390")
    expert.set_viewport_size({"width": 1280, "height": 800})

    # The visitor's page offers no time on the holiday, and times on the day after.
    link = demo_requested(
        page,
        name="Grace Ho",
        email=VISITOR,
        company="Harbour Freight Ltd",
        times="Weekday mornings",
    )
    visitor = context_of(timezone_id="Asia/Shanghai")
    visitor.goto(link)
    visitor.locator(".booking-slot").first.wait_for(state="attached")
    keys = [slot.get_attribute("value") for slot in visitor.locator(".booking-slot").all()]
    days = {instant_of(key).astimezone(SHANGHAI).date() for key in keys}
    assert tomorrow not in days
    assert tomorrow + timedelta(days=1) in days
    assert all(instant_of(key).astimezone(SHANGHAI).hour in (10, 11) for key in keys)

    visitor.locator(".booking-slot:visible").first.click()
    visitor.get_by_role("button", name="Book this time").click()
    visitor.get_by_role("heading", name="Your demo is booked").wait_for()

    # Her Today page: the demo, its organisation, how it is held, the way to the lead.
    expert.goto(server.url + "/en/console/")
    agenda = expert.locator(".agenda")
    agenda.first.wait_for()
    meeting = agenda.locator("li").filter(has_text="Harbour Freight Ltd")
    assert meeting.count() == 1
    assert "Online" in meeting.inner_text()
    meeting.get_by_role("link", name="Harbour Freight Ltd").click()
    expert.wait_for_url(re.compile(r"/en/console/leads/[0-9a-f-]+/"))

    expert.goto(server.url + "/console/")
    expert.get_by_role("heading", name="您今天的会议").wait_for()
    assert (
        "线上"
        in expert.locator(".agenda").first.inner_text()
        + expert.locator(".agenda").last.inner_text()
    )
    screenshot(expert, "today-zh")
