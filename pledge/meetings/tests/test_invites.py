"""Calendar files (RFC 5545): the reader's zone with its VTIMEZONE, their language, the agenda
and the manage link, folded and escaped; the private link only in the copy that leaves."""

import re
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from pledge.mail.attachments import calendar_filled, ical_fold
from pledge.mail.models import Message
from pledge.mail.services import PLACEHOLDER
from pledge.meetings.invites import invite_ics
from pledge.meetings.scheduling import lead_slots, meeting_book
from pledge.meetings.tests.test_leads import request_demo
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

AGENDA = "Reports, dashboards; and the API\\export — 报表，仪表盘；以及接口 " * 3


def mail_to(kind: str, to: str) -> Message:
    """The one message of ``kind`` to ``to`` (addresses are encrypted: no filter on them)."""
    (message,) = [m for m in Message.objects.filter(kind=kind) if m.to == to]
    return message


def booked(client, email="ics@example-co.cn", **extra):
    lead = request_demo(client, email, interests=AGENDA, **extra)
    slot = lead_slots(lead)[0][0]
    return meeting_book(lead=lead, slot_key=slot.key, actor=Actor.visitor("test"))


def lines_of(ics: str) -> list[str]:
    assert ics.endswith("\r\n") and "\n" not in ics.replace("\r\n", "")
    return ics.split("\r\n")[:-1]


def test_a_zone_without_summer_time_is_one_standard_component(client, policy, expert):
    meeting = booked(client)
    calendar = Calendar.from_ical(
        invite_ics(meeting, method="REQUEST", language="en", time_zone="Asia/Shanghai")
    )
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Asia/Shanghai"
    (standard,) = zone.walk("STANDARD")
    assert not zone.walk("DAYLIGHT")
    assert standard["tzoffsetto"].to_ical() == "+0800" == standard["tzoffsetfrom"].to_ical()
    (event,) = calendar.walk("VEVENT")
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert event.decoded("dtstart") == meeting.starts_at  # the same instant
    assert event.decoded("dtend") == meeting.ends_at


def test_a_zone_with_summer_time_carries_both_and_the_right_instant(client, policy, expert):
    meeting = booked(client)
    ics = invite_ics(meeting, method="REQUEST", language="en", time_zone="America/New_York")
    assert "DTSTART;TZID=America/New_York:" in ics
    calendar = Calendar.from_ical(ics)
    (zone,) = calendar.walk("VTIMEZONE")
    assert zone.walk("STANDARD") and zone.walk("DAYLIGHT")
    (event,) = calendar.walk("VEVENT")
    local = meeting.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert f"DTSTART;TZID=America/New_York:{local:%Y%m%dT%H%M%S}" in ics
    assert event.decoded("dtstart") == meeting.starts_at


def test_summary_and_description_in_the_readers_language_folded_and_escaped(client, policy, expert):
    meeting = booked(client)
    link = "https://letsgonex.cn/demo/booking/abc,def;ghi/"
    english = invite_ics(meeting, method="REQUEST", language="en", link=link)
    chinese = invite_ics(meeting, method="REQUEST", language="zh-hans", link=link)
    for ics in (english, chinese):
        assert all(len(line.encode()) <= 75 for line in lines_of(ics))
        assert "abc\\,def\\;ghi" in ics.replace("\r\n ", "")
    event_en = next(iter(Calendar.from_ical(english).walk("VEVENT")))
    event_zh = next(iter(Calendar.from_ical(chinese).walk("VEVENT")))
    assert str(event_en["summary"]) == "Gonex demo with Sam"
    assert str(event_zh["summary"]) == "与 Sam 的 Gonex 演示"
    for event in (event_en, event_zh):
        description = str(event["description"])
        assert AGENDA.strip() in description and link in description  # round trip, escapes
        assert "Vic Tor" not in description and "example-co.cn" not in description
    assert "What you would like to see" in str(event_en["description"])
    # Commas, semicolons and backslashes are escaped in the file as written.
    unfolded = english.replace("\r\n ", "")
    assert "Reports\\, dashboards\\; and the API\\\\export" in unfolded


def test_the_emailed_invite_holds_the_manage_link_only_as_it_leaves(
    client, policy, expert, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = booked(client, "leaves@example-co.cn")
    stored = mail_to("meeting_confirmed", "leaves@example-co.cn")
    content = stored.attachments[0]["content"]
    assert PLACEHOLDER.format("manage_link") in content.replace("\r\n ", "")
    assert "/demo/booking/" not in content  # the outbox keeps no private link
    assert Message.objects.get(pk=stored.pk).status == "sent", stored.error
    message = next(
        m
        for m in smtp_server.messages
        if "leaves@example-co.cn" in m.recipients and m["Subject"] == stored.subject
    )
    part = next(p for p in message.iter_attachments() if p.get_filename() == "invite.ics")
    delivered = part.get_content()
    assert all(len(line.encode()) <= 75 for line in lines_of(delivered))
    event = next(iter(Calendar.from_ical(delivered).walk("VEVENT")))
    link = re.search(r"http://\S+/demo/booking/\S+/", str(event["description"])).group(0)
    assert str(event["uid"]) == f"{meeting.public_id}@letsgonex.cn"
    assert client.get(link).status_code == 200  # the manage link opens the booking page
    body = message.get_body(("plain",)).get_content()
    assert link in body
    calendar = re.search(r"http://\S+/invite\.ics\S*", body).group(0)
    answer = client.get(calendar)
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    served = Calendar.from_ical(answer.content)
    assert str(next(iter(served.walk("VEVENT")))["uid"]) == str(event["uid"])


def test_filling_a_link_refolds_the_lines():
    placeholder = PLACEHOLDER.format("manage_link")
    line = "DESCRIPTION:Reschedule or cancel: " + placeholder + " 以及中文内容" * 6
    folded = ical_fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    ics = f"BEGIN:VCALENDAR\r\n{folded}\r\nEND:VCALENDAR\r\n"
    link = "https://letsgonex.cn/en/demo/booking/" + "x" * 120 + "/?tz=America/New_York"
    filled = calendar_filled(ics, {"manage_link": link})
    assert all(len(part.encode()) <= 75 for part in filled.split("\r\n"))
    assert link in filled.replace("\r\n ", "")
