"""My availability (the weekly grid, the buffer, the notice, time off), the list of experts,
and the expert's agenda on Today: plain form posts, round trips, refusals that lose nothing."""

import re
import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from pledge.conftest import make_staff
from pledge.meetings.models import Availability, Expert, TimeOff
from pledge.meetings.tests.conftest import make_expert, meeting_for
from pledge.vault.access import Role

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

PROFILE = {
    "display_name": "Sam",
    "time_zone": "Asia/Shanghai",
    "languages": ["en", "zh-hans"],
    "forms_served": ["demo"],
    "meeting_link": "https://meet.letsgonex.cn/sam",
    "office_address": "Gonex office, Shanghai",
    "active": "on",
}


def ticked(html: str) -> set[str]:
    return set(re.findall(r'name="cells" value="([0-9]-[0-9]{4})" checked', html))


def test_the_grid_saves_and_shows_what_was_ticked(client_for):
    expert = make_expert("sam")
    client = client_for(expert.user)
    page = client.get("/en/console/availability/")
    assert page.status_code == 200
    assert re.search(r'<link rel="stylesheet" href="[^"]*availability[^"]*\.css"', page.text)
    assert "0-0900" in ticked(page.content.decode())  # the fixture's 09:00-18:00 every day
    cells = ["0-0900", "0-0930", "0-1000", "2-1400", "2-1430", "6-2000", "6-2030"]
    response = client.post(
        "/en/console/availability/",
        {**PROFILE, "action": "save", "cells": cells, "buffer_minutes": "15", "notice_hours": "24"},
    )
    assert response.status_code == 302
    windows = {
        (window.weekday, f"{window.start:%H:%M}-{window.end:%H:%M}")
        for window in Availability.objects.filter(expert=expert)
    }
    assert windows == {(0, "09:00-10:30"), (2, "14:00-15:00"), (6, "20:00-21:00")}
    expert.refresh_from_db()
    assert (expert.buffer_minutes, expert.notice_hours) == (15, 24)
    again = client.get(response["Location"]).content.decode()
    assert ticked(again) == set(cells)
    assert "Saved." in again


def test_bad_input_is_refused_in_words_and_loses_nothing(client_for):
    expert = make_expert("sam")
    client = client_for(expert.user)
    cells = ["1-0700", "1-0730", "3-1200"]
    response = client.post(
        "/console/availability/",  # the Chinese console
        {**PROFILE, "action": "save", "cells": cells, "buffer_minutes": "500", "notice_hours": "x"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert ticked(html) == set(cells)  # the ticks stay as posted
    assert 'value="500"' in html and 'value="x"' in html
    assert "请更正" in html and "500" in html
    assert "Ensure this value" not in html and "Enter a whole number" not in html
    assert Availability.objects.filter(expert=expert).count() == 7  # nothing changed
    expert.refresh_from_db()
    assert expert.buffer_minutes == 0


# No ninth weekday, no 25th hour; and no 23:30 row: its window would end at 24:00, which no
# time of day is.
@pytest.mark.parametrize("cell", ["9-2500", "6-2330"])
def test_a_made_up_cell_is_refused(client_for, cell):
    expert = make_expert("sam")
    response = client_for(expert.user).post(
        "/en/console/availability/",
        {
            **PROFILE,
            "action": "save",
            "cells": [cell],
            "buffer_minutes": "0",
            "notice_hours": "12",
        },
    )
    assert response.status_code == 400
    assert cell in response.content.decode()
    assert Availability.objects.filter(expert=expert).count() == 7


def test_time_off_is_added_listed_and_removed(client_for):
    expert = make_expert("sam")
    client = client_for(expert.user)
    day = timezone.now().astimezone(zoneinfo.ZoneInfo(expert.time_zone)).date() + timedelta(days=2)
    response = client.post(
        "/en/console/availability/",
        {
            "action": "time_off_add",
            "kind": "holiday",
            "first_day": f"{day:%Y-%m-%d}",
            "last_day": f"{day + timedelta(days=1):%Y-%m-%d}",
            "note": "Spring Festival",
        },
    )
    assert response.status_code == 302
    time_off = TimeOff.objects.get(expert=expert)
    page = client.get("/en/console/availability/").content.decode()
    assert "Spring Festival" in page and "Holiday" in page and f"{day:%Y-%m-%d}" in page
    client.post(
        "/en/console/availability/", {"action": "time_off_remove", "time_off": str(time_off.pk)}
    )
    assert not TimeOff.objects.exists()


def test_time_off_that_ends_before_it_starts_is_refused_in_chinese(client_for):
    expert = make_expert("sam")
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(expert.time_zone)).date()
    response = client_for(expert.user).post(
        "/console/availability/",
        {
            "action": "time_off_add",
            "kind": "day_off",
            "first_day": f"{today:%Y-%m-%d}",
            "last_day": f"{today - timedelta(days=3):%Y-%m-%d}",
            "note": "家里有事",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "结束日期早于开始日期。" in html and "家里有事" in html
    assert not TimeOff.objects.exists()


def test_another_expert_cannot_post_to_an_experts_page(client_for):
    expert, other = make_expert("sam"), make_expert("olga")
    response = client_for(other.user).post(
        f"/en/console/experts/{expert.pk}/",
        {"action": "time_off_add", "kind": "holiday", "first_day": "2030-01-01"},
    )
    assert response.status_code == 403
    assert not TimeOff.objects.exists()


def test_the_experts_list_shows_each_experts_settings_readably(client_for, administrator):
    expert = make_expert("sam")
    Expert.objects.filter(pk=expert.pk).update(buffer_minutes=15, notice_hours=24, forms=["demo"])
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(expert.time_zone)).date()
    TimeOff.objects.create(expert=expert, kind="holiday", first_day=today, last_day=today)
    html = client_for(administrator).get("/en/console/experts/").content.decode()
    assert "Buffer 15 minutes" in html and "Notice 24 hours" in html
    assert "Monday: 09:00\u201318:00" in html and f"Holiday: {today:%Y-%m-%d}" in html
    assert "English" in html and "<br>zh-hans" not in html and "<td>zh-hans" not in html
    assert "<td>demo</td>" not in html
    chinese = client_for(administrator).get("/console/experts/").content.decode()
    assert "间隔 15 分钟" in chinese and "提前 24 小时" in chinese and "节假日：" in chinese


def meeting_at(expert, starts_at):
    return meeting_for(expert, starts_at, mode="in_person", visitor_timezone="Europe/Berlin")


def berlin_label(moment: datetime) -> str:
    """Berlin as the console names it beside ``moment``: its offset then, summer time or not."""
    hours = moment.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).utcoffset() // timedelta(hours=1)
    return f"Berlin UTC+{hours:02d}:00"


def test_today_shows_the_experts_agenda_in_their_zone(client_for):
    expert = make_expert("sam")
    zone = zoneinfo.ZoneInfo(expert.time_zone)
    today = timezone.now().astimezone(zone).date()
    meeting = meeting_at(expert, datetime.combine(today, time(0, 30), tzinfo=zone))
    html = client_for(expert.user).get("/en/console/").content.decode()
    assert "Your meetings today" in html
    assert "00:30\u201301:30" in html and "Acme Ltd" in html and "In person" in html
    assert f"/en/console/leads/{meeting.lead.public_id}/" in html
    berlin = meeting.starts_at.astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    # 00:30 in Shanghai is the evening before in Berlin: the visitor's date is shown too
    assert f"{berlin:%Y-%m-%d %H:%M} for the visitor ({berlin_label(berlin)})" in html
    chinese = client_for(expert.user).get("/console/").content.decode()
    assert "您今天的会议" in chinese and "面对面" in chinese and "In person" not in chinese


def test_the_lead_card_shows_the_next_meeting_in_both_zones(client_for):
    expert = make_expert("sam")
    starts_at = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    meeting = meeting_at(expert, starts_at)
    html = client_for(expert.user).get(f"/en/console/leads/{meeting.lead.public_id}/").content
    html = html.decode()
    ours = timezone.localtime(starts_at, zoneinfo.ZoneInfo("Asia/Shanghai"))
    berlin = starts_at.astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    assert f"{ours:%Y-%m-%d %H:%M}" in html and "(Beijing, Shanghai UTC+08:00)" in html
    shown = f"{berlin:%H:%M}" if berlin.date() == ours.date() else f"{berlin:%Y-%m-%d %H:%M}"
    assert f"{shown} for the visitor ({berlin_label(starts_at)})" in html
    meeting.visitor_timezone = "Asia/Shanghai"  # chosen in the expert's own zone: said once
    meeting.save()
    html = client_for(expert.user).get(f"/en/console/leads/{meeting.lead.public_id}/").content
    assert b"for the visitor" not in html


def test_today_works_for_staff_without_an_expert_profile(client_for, privacy_officer):
    html = client_for(privacy_officer).get("/en/console/").content.decode()
    assert "Your meetings today" not in html
    manager = make_staff("mona", Role.SALES_EXPERT)
    response = client_for(manager).get("/en/console/")
    assert response.status_code == 200
    assert not Expert.objects.exists()
