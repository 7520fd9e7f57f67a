"""The visitor's booking page (P25): a week grid in their own zone, nothing preselected, a
confirmation step, and a cancellation that asks first and passes the reason on."""

import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest

from pledge.mail.models import Message
from pledge.meetings.models import Meeting, MeetingStatus
from pledge.meetings.scheduling import booking_invitation_resend, lead_slots, meetings_remind
from pledge.meetings.tests.test_leads import request_demo
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

NEW_YORK = ZoneInfo("America/New_York")
# Half-width punctuation touching a Chinese character.
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,:;()]|[,:;()][\u4e00-\u9fff]")


def mail_to(kind: str, to: str) -> Message:
    """The one message of ``kind`` to ``to`` (addresses are encrypted: no filter on them)."""
    (message,) = [m for m in Message.objects.filter(kind=kind) if m.to == to]
    return message


def new_york_offset(moment) -> str:
    """New York's offset from UTC at ``moment`` as the pages write it: "UTC\u221204:00" in
    summer, "UTC\u221205:00" in winter (a real minus sign)."""
    hours = -moment.astimezone(NEW_YORK).utcoffset() // timedelta(hours=1)
    return f"UTC\u2212{hours:02d}:00"


def booking_path(lead) -> str:
    link = Message.objects.filter(kind="booking_invitation", person=lead.person).latest("id")
    return re.search(r"(/(?:en/)?demo/booking/[^/\s]+/)", link.private_links["link"]).group(1)


def text_of(html: str) -> str:
    """The words of the page's own panel (the banner and the footer are other pages' too)."""
    panel = re.search(r'<section class="panel.*?</section>', html, flags=re.S).group(0)
    return re.sub(r"<[^>]+>", " ", panel)


def test_the_grid_shows_the_week_by_day_in_the_visitors_zone(client, policy, expert):
    lead = request_demo(client, "grid@example-co.cn")
    path = booking_path(lead)
    first = client.get(path).content.decode()
    assert "data-detect" in first  # a first visit asks the browser for its zone
    page = client.get(path, {"tz": "America/New_York"}).content.decode()
    assert "data-detect" not in page  # never over the visitor's choice
    assert 'value="America/New_York" selected' in page
    assert "checked" not in page and "selected" not in page.replace(
        'value="America/New_York" selected', ""
    )
    slot = lead_slots(lead)[0][0]
    local = slot.starts_at.astimezone(NEW_YORK)
    assert f'value="{slot.key}"' in page
    assert re.search(rf'value="{slot.key}"[^>]*>{local:%H:%M}</button>', page)
    assert page.count('class="booking-day') >= 7  # one column a day, Monday first
    assert "Next week" in page or "Previous week" in page  # two weeks of times


def test_an_unknown_zone_says_so_and_shows_the_sites(client, policy, expert):
    lead = request_demo(client, "nozone@example-co.cn")
    answer = client.get(booking_path(lead), {"tz": "Mars/Olympus_Mons"})
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "We do not know the time zone you asked for" in page
    assert 'value="Asia/Shanghai" selected' in page
    assert "Mars" not in text_of(page)


def test_booking_in_new_york_lands_at_the_right_instant_and_mails_each_zone(client, policy, expert):
    lead = request_demo(client, "ny@example-co.cn")
    path = booking_path(lead)
    slot = lead_slots(lead)[0][0]
    confirm = client.get(path, {"tz": "America/New_York", "slot": slot.key}).content.decode()
    local = slot.starts_at.astimezone(NEW_YORK)
    assert "Confirm this time" in confirm and f"{local:%H:%M}" in confirm
    assert Meeting.objects.count() == 0  # a slot button books nothing
    done = client.post(path, {"action": "book", "slot": slot.key, "tz": "America/New_York"})
    assert done.status_code == 200 and f"{local:%H:%M}" in done.content.decode()
    meeting = Meeting.objects.get()
    assert meeting.starts_at == slot.starts_at.astimezone(UTC)
    assert meeting.visitor_timezone == "America/New_York"  # for the worker's reminder
    assert meetings_remind(now=meeting.starts_at - timedelta(hours=2)) == 1
    reminder = mail_to("meeting_reminder", "ny@example-co.cn").body_text
    assert f"{local:%Y-%m-%d %H:%M}" in reminder and "manage_link" in reminder
    visitor = mail_to("meeting_confirmed", "ny@example-co.cn")
    assert f"{local:%Y-%m-%d %H:%M}" in visitor.body_text
    assert f"New York {new_york_offset(slot.starts_at)}" in visitor.body_text  # in English
    assert set(visitor.private_links) == {"manage_link", "calendar_link"}
    assert "/demo/booking/" not in visitor.body_text  # placeholders in the stored copy
    assert "tz=America%2FNew_York" in visitor.private_links["calendar_link"]
    expert_copy = mail_to("meeting_confirmed", "sam@letsgonex.com").body_text
    shanghai = slot.starts_at.astimezone(ZoneInfo("Asia/Shanghai"))
    # The expert reads Chinese: their zone, then the visitor's, each with its offset then.
    assert f"{shanghai:%Y-%m-%d %H:%M}（北京、上海 UTC+08:00）" in expert_copy
    assert f"{local:%Y-%m-%d %H:%M}（纽约 {new_york_offset(slot.starts_at)}）" in expert_copy
    assert "/demo/booking/" not in expert_copy  # never the visitor's private link
    # The manage link of the email opens the page; a fresh invitation retires it.
    manage = visitor.private_links["manage_link"].split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + manage).status_code == 200
    booking_invitation_resend(lead=lead, actor=Actor.system("test"))
    assert client.get("/" + manage).status_code == 404


def test_cancel_asks_first_and_passes_the_reason_on(client, policy, expert):
    lead = request_demo(client, "cancel@example-co.cn")
    path = booking_path(lead)
    slot = lead_slots(lead)[0][0]
    client.post(path, {"action": "book", "slot": slot.key, "tz": "Europe/Berlin"})
    page = client.get(path, {"tz": "Europe/Berlin"}).content.decode()
    cancel = re.search(r'href="([^"]+/cancel/[^"]*)"', page).group(1).replace("&amp;", "&")
    question = client.get(cancel).content.decode()
    assert "Cancel this meeting?" in question and 'name="reason"' in question
    assert Meeting.objects.get().status == MeetingStatus.BOOKED  # asking cancels nothing
    reason = "Our budget review moved.\r\nNext quarter?\u202e"
    answer = client.post(cancel, {"reason": reason, "tz": "Europe/Berlin"})
    assert answer.status_code == 200 and "Your demo is cancelled" in answer.content.decode()
    assert Meeting.objects.get().status == MeetingStatus.CANCELLED
    expert_copy = mail_to("meeting_cancelled", "sam@letsgonex.com")
    assert "Our budget review moved.\nNext quarter?" in expert_copy.body_text
    assert "\u202e" not in expert_copy.body_text
    visitor = mail_to("meeting_cancelled", "cancel@example-co.cn")
    assert "budget" not in visitor.body_text and "manage_link" in visitor.private_links
    entry = AuditEntry.objects.get(action="meeting.cancelled")
    # The sealed audit log, kept after an erasure, holds none of the visitor's words.
    assert entry.reason == "" and entry.details == {"reason_given": True}
    assert "budget" not in str(entry.__dict__)


def test_the_chinese_page_reads_in_chinese_with_full_width_punctuation(
    client, policy, expert, local_new_year
):
    lead = request_demo(client, "zh@example-co.cn", language_prefix="")
    path = booking_path(lead)
    assert not path.startswith("/en/")
    slot = lead_slots(lead)[0][0]
    for page in (
        client.get(path).content.decode(),
        client.get(path, {"slot": slot.key}).content.decode(),
        client.get(path, {"tz": "Nowhere/Else"}).content.decode(),
    ):
        assert "演示" in page
        text = text_of(page)
        assert not HALF_WIDTH.search(text), HALF_WIDTH.search(text)
    client.post(path, {"action": "book", "slot": slot.key})
    page = client.get(path + "cancel/").content.decode()
    assert "取消" in page and not HALF_WIDTH.search(text_of(page))
    visitor = mail_to("meeting_confirmed", "zh@example-co.cn")
    assert not HALF_WIDTH.search(visitor.body_text), visitor.body_text
    assert "/en/" not in visitor.private_links["manage_link"]


def test_a_day_is_the_visitors_day(client, policy, expert):
    """A slot at 09:00 in Shanghai is the evening before in New York: it sits in that day's
    column, not in Shanghai's."""
    lead = request_demo(client, "days@example-co.cn")
    slot = lead_slots(lead)[0][0]
    page = client.get(booking_path(lead), {"tz": "America/New_York"}).content.decode()
    local = slot.starts_at.astimezone(NEW_YORK)
    day_label = f"{local:%-m/%-d}"
    column = re.search(
        rf'booking-date">{day_label}</span></h3>(.*?)</div>', page, flags=re.S
    ).group(1)
    assert f'value="{slot.key}"' in column
