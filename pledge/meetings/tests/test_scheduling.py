"""Demo scheduling (P25, P01): slots, booking with invites to both sides, no double booking."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from icalendar import Calendar

from pledge.cases.rights import rights_erase
from pledge.cases.tests.seeding import deletion_case
from pledge.mail.models import Message
from pledge.meetings.models import Expert, Meeting
from pledge.meetings.scheduling import (
    Slot,
    fits,
    lead_slots,
    meeting_book,
    meeting_cancel,
    meeting_reschedule,
    meetings_remind,
)
from pledge.meetings.tests.conftest import make_expert
from pledge.meetings.tests.test_leads import request_demo
from pledge.people.models import Organization
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def erase(person, officer):
    """The erasure the privacy officer runs from a case (the portal's runs the same service)."""
    rights_erase(person=person, actor=Actor.staff(officer), case=deletion_case(person, officer))


def ics_of(message_kind: str, to: str) -> Calendar:
    for message in Message.objects.filter(kind=message_kind).order_by("-id"):
        if message.to == to:
            return Calendar.from_ical(message.attachments[0]["content"])
    raise AssertionError(f"no {message_kind} to {to}")


def event_of(calendar: Calendar):
    return next(component for component in calendar.walk("VEVENT"))


def test_slots_fit_the_visitors_times_and_leave_notice(client, policy, expert):
    lead = request_demo(client, "slots@example-co.cn")
    slots, all_fit = lead_slots(lead)
    assert all_fit and slots
    assert all(fits(slot, ["weekday_morning"]) for slot in slots)
    assert all(slot.starts_at >= timezone.now() + timedelta(hours=12) for slot in slots)


def test_a_meeting_moved_after_the_lead_passed_on_stays_with_its_expert(
    client, policy, expert, other_expert
):
    """Rescheduling offers and checks the hours of the expert who holds the meeting, not of
    the lead's new owner, and the meeting stays theirs."""
    lead = request_demo(client, "moved@example-co.cn")
    booked = meeting_book(lead=lead, slot_key=lead_slots(lead)[0][0].key, actor=Actor.visitor("t"))
    holder = booked.expert
    newcomer = other_expert if holder == expert else expert
    newcomer.availability.all().delete()  # the new owner has no hours at all
    lead.owner = newcomer
    lead.save(update_fields=["owner"])
    slots = lead_slots(lead, exclude=booked)[0]
    assert slots, "the holder's hours are offered"
    moved = meeting_reschedule(meeting=booked, slot_key=slots[1].key, actor=Actor.visitor("t"))
    assert moved.expert == holder and moved.starts_at == slots[1].starts_at
    holder.availability.all().delete()  # and the holder's rules decide, not the newcomer's
    with pytest.raises(ValidationError):
        meeting_reschedule(meeting=moved, slot_key=slots[2].key, actor=Actor.visitor("t"))


def test_booking_emails_both_sides_a_valid_invite_over_smtp(
    client, policy, expert, smtp_server, django_capture_on_commit_callbacks
):
    lead = request_demo(client, "book@example-co.cn")
    slot = lead_slots(lead)[0][0]
    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_book(lead=lead, slot_key=slot.key, actor=Actor.visitor("test"))
    recipients = {address for message in smtp_server.messages for address in message.recipients}
    assert {"book@example-co.cn", "sam@letsgonex.com"} <= recipients
    invite = next(
        part
        for message in smtp_server.messages
        if "sam@letsgonex.com" in message.recipients
        for part in message.iter_attachments()
        if part.get_filename() == "invite.ics"
    )
    calendar = Calendar.from_ical(invite.get_content())
    event = event_of(calendar)
    assert calendar["method"] == "REQUEST"
    assert event.decoded("dtstart") == meeting.starts_at
    # The expert's zone, with its VTIMEZONE in the file (Asia/Shanghai: one STANDARD).
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    zone = next(iter(calendar.walk("VTIMEZONE")))
    assert str(zone["tzid"]) == "Asia/Shanghai" and not zone.walk("DAYLIGHT")
    assert str(event["uid"]) == f"{meeting.public_id}@letsgonex.cn"
    assert meeting.location == "https://meet.letsgonex.cn/sam"
    expert_mail = next(m for m in smtp_server.messages if "sam@letsgonex.com" in m.recipients)
    expert_text = expert_mail.get_body(("plain",)).get_content()
    assert "Weekday mornings" in expert_text or "工作日上午" in expert_text  # answers, readable
    assert "weekday_morning" not in expert_text


def test_each_side_reads_the_demo_time_in_their_own_zone(client, policy, local_new_year):
    """The visitor reads the site's zone; an expert in Berlin reads Berlin's, and the
    visitor's beside it, even though the worker and the request that sent it run in Shanghai."""
    expert = make_expert("berta")
    Expert.objects.filter(pk=expert.pk).update(time_zone="Europe/Berlin")
    lead = request_demo(client, "zones@example-co.cn")
    meeting = meeting_book(
        lead=lead, slot_key=lead_slots(lead)[0][0].key, actor=Actor.visitor("test")
    )
    mails = {m.to: m.body_text for m in Message.objects.filter(kind="meeting_confirmed")}
    in_shanghai = f"{meeting.starts_at.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M}"
    in_berlin = f"{meeting.starts_at.astimezone(ZoneInfo('Europe/Berlin')):%Y-%m-%d %H:%M}"
    visitor, berta = mails["zones@example-co.cn"], mails["berta@letsgonex.com"]
    # Each zone by its place, in the reader's language, with its offset on 1 January.
    assert f"{in_shanghai} (Beijing, Shanghai UTC+08:00)" in visitor
    first, second = berta.splitlines()[2:4]  # the expert's time, then the visitor's
    assert f"{in_berlin}（柏林 UTC+01:00）" in first
    assert f"{in_shanghai}（北京、上海 UTC+08:00）" in second


def test_a_slot_fits_a_day_part_only_if_it_ends_inside_it():
    """A slot from 23:00 ends at midnight, on the next day: not a morning's."""
    shanghai = ZoneInfo("Asia/Shanghai")
    monday = datetime(2026, 11, 30, tzinfo=shanghai)
    late, early = monday.replace(hour=23), monday.replace(hour=9)
    assert not fits(Slot(late, late + timedelta(hours=1)), ["weekday_morning"])
    assert fits(Slot(early, early + timedelta(hours=1)), ["weekday_morning"])
    assert not fits(
        Slot(early.replace(hour=11, minute=30), early.replace(hour=12, minute=30)),
        ["weekday_morning"],
    )


def test_a_taken_slot_is_refused(client, policy, expert):
    first = request_demo(client, "first@example-co.cn")
    second = request_demo(client, "second@example-co.cn")
    slot = lead_slots(first)[0][0]
    meeting_book(lead=first, slot_key=slot.key, actor=Actor.visitor("test"))
    with pytest.raises(ValidationError):
        meeting_book(lead=second, slot_key=slot.key, actor=Actor.visitor("test"))
    assert slot.key not in {s.key for s in lead_slots(second)[0]}


def test_reschedule_keeps_the_event_and_raises_its_sequence_then_cancel(client, policy, expert):
    lead = request_demo(client, "move@example-co.cn")
    slots = lead_slots(lead)[0]
    meeting = meeting_book(lead=lead, slot_key=slots[0].key, actor=Actor.visitor("test"))
    meeting_reschedule(meeting=meeting, slot_key=slots[1].key, actor=Actor.visitor("test"))
    moved = event_of(ics_of("meeting_rescheduled", "move@example-co.cn"))
    assert str(moved["uid"]) == f"{meeting.public_id}@letsgonex.cn"
    assert moved["sequence"] == 1 and moved.decoded("dtstart") == slots[1].starts_at
    meeting_cancel(meeting=meeting, actor=Actor.visitor("test"))
    cancelled = ics_of("meeting_cancelled", "move@example-co.cn")
    assert cancelled["method"] == "CANCEL" and event_of(cancelled)["sequence"] == 2


def test_the_visitor_books_reschedules_and_cancels_from_the_link(client, policy, expert):
    import re

    request_demo(client, "page@example-co.cn")
    body = Message.objects.get(kind="booking_invitation").private_links["link"]
    path = re.search(r"(/en/demo/booking/[^/\s]+/)", body).group(1)
    page = client.get(path).content.decode()
    first, second = re.findall(r'name="slot" value="(\w+)"', page)[:2]
    assert (
        "Your demo is booked"
        in client.post(path, {"action": "book", "slot": first}).content.decode()
    )
    client.post(path, {"action": "book", "slot": second})
    meeting = Meeting.objects.get()
    assert meeting.sequence == 1
    assert "cancelled" in client.post(path + "cancel/").content.decode()
    assert client.get("/en/demo/booking/not-a-token/").status_code == 404


def test_a_made_up_slot_is_refused_with_a_message(client, policy, expert):
    import re

    request_demo(client, "fake@example-co.cn")
    body = Message.objects.get(kind="booking_invitation").private_links["link"]
    path = re.search(r"(/en/demo/booking/[^/\s]+/)", body).group(1)
    response = client.post(path, {"action": "book", "slot": "19990101T0000"})
    assert response.status_code == 400
    assert "no longer free" in response.content.decode()
    assert not Meeting.objects.exists()


def test_reminders_go_once_a_day_before(client, policy, expert):
    lead = request_demo(client, "remind@example-co.cn")
    meeting = meeting_book(
        lead=lead, slot_key=lead_slots(lead)[0][0].key, actor=Actor.visitor("test")
    )
    assert meetings_remind(now=meeting.starts_at - timedelta(days=3)) == 0
    assert meetings_remind(now=meeting.starts_at - timedelta(hours=20)) == 1
    assert meetings_remind(now=meeting.starts_at - timedelta(hours=19)) == 0
    assert Message.objects.filter(kind="meeting_reminder").count() == 2  # visitor and expert


def test_do_not_contact_stops_the_booking_invitation_p01(client, policy, expert):
    from pledge.people.services import person_upsert

    person, _ = person_upsert(
        actor=Actor.system("test"), source="staff", email="quiet@example-co.cn"
    )
    person.do_not_contact = True
    person.save()
    request_demo(client, "quiet@example-co.cn")
    assert not Message.objects.filter(kind="booking_invitation").exists()


def test_an_organization_on_do_not_contact_stops_invitations_and_reminders_p01(
    client, policy, expert
):
    lead = request_demo(client, "boss@quiet-corp.cn")
    meeting = meeting_book(
        lead=lead, slot_key=lead_slots(lead)[0][0].key, actor=Actor.visitor("test")
    )
    Organization.objects.filter(domain="quiet-corp.cn").update(do_not_contact=True)
    request_demo(client, "staff@quiet-corp.cn")
    assert Message.objects.filter(kind="booking_invitation").count() == 1  # only the first
    assert meetings_remind(now=meeting.starts_at - timedelta(hours=20)) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_make_one_meeting(client, policy, expert):
    leads = [request_demo(client, f"race{n}@example-co.cn") for n in range(4)]
    slot_key = lead_slots(leads[0])[0][0].key
    outcomes = []

    def book(lead):
        try:
            meeting_book(lead=lead, slot_key=slot_key, actor=Actor.visitor("test"))
            outcomes.append("booked")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "refused", "refused", "refused"]
    assert Meeting.objects.filter(expert=expert).count() == 1


def test_a_demo_assigned_by_hand_sends_its_booking_link(client, client_for, policy, administrator):
    lead = request_demo(client, "late@example-co.cn")  # no expert yet: no link
    assert lead.owner is None
    assert not Message.objects.filter(kind="booking_invitation").exists()
    expert = make_expert("late")
    client_for(administrator).post(
        f"/en/console/leads/{lead.public_id}/", {"action": "assign", "expert": expert.pk}
    )
    assert Message.objects.filter(kind="booking_invitation", person=lead.person).count() == 1


def test_resending_the_link_to_someone_on_do_not_contact_says_why_nothing_left(
    client, client_for, policy, expert
):
    lead = request_demo(client, "resend@example-co.cn")
    lead.person.do_not_contact = True
    lead.person.save()
    response = client_for(expert.user).post(
        f"/en/console/leads/{lead.public_id}/", {"action": "invite"}
    )
    assert response.status_code == 400
    assert "No link was sent" in response.content.decode()
    assert Message.objects.filter(kind="booking_invitation").count() == 1  # the first only


def test_erasing_the_visitor_calls_the_demo_off_in_the_experts_calendar_naming_no_one(
    client, policy, expert, privacy_officer
):
    lead = request_demo(client, "gone@example-co.cn")
    lead.person.name = "Gone Visitor"
    lead.person.save()
    meeting = meeting_book(
        lead=lead, slot_key=lead_slots(lead)[0][0].key, actor=Actor.visitor("test")
    )
    booked = event_of(ics_of("meeting_confirmed", "sam@letsgonex.com"))
    erase(lead.person, privacy_officer)
    assert not Meeting.objects.filter(pk=meeting.pk).exists()
    # The expert's copy of the booking named the visitor and held their answers: erased too.
    assert not Message.objects.filter(kind="meeting_confirmed").exists()
    message = Message.objects.get(kind="meeting_erased")
    assert message.to == "sam@letsgonex.com" and message.person_id is None
    cancel = event_of(ics_of("meeting_erased", "sam@letsgonex.com"))
    assert cancel["uid"] == booked["uid"] and cancel["sequence"] > booked["sequence"]
    assert cancel["status"] == "CANCELLED"
    stored = message.subject + message.body_text + message.attachments[0]["content"]
    assert "gone@example-co.cn" not in stored and "Gone Visitor" not in stored


def test_erasing_someone_whose_demo_is_past_sends_nothing(client, policy, expert, privacy_officer):
    lead = request_demo(client, "past@example-co.cn")
    meeting = meeting_book(
        lead=lead, slot_key=lead_slots(lead)[0][0].key, actor=Actor.visitor("test")
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(days=2), ends_at=timezone.now() - timedelta(days=2)
    )
    erase(lead.person, privacy_officer)
    assert not Message.objects.filter(kind="meeting_erased").exists()


def test_an_experts_name_and_address_stay_on_one_line_i5(expert):
    """They go into visitors' emails and calendar invites: a line break there is refused."""
    from pledge.meetings.experts import expert_update

    with pytest.raises(ValidationError) as refused:
        expert_update(
            expert=expert,
            actor=Actor.staff(expert.user),
            availability={},
            display_name="Sam\r\nBcc: x@example.com",
            office_address="Gonex\u202e",
        )
    assert set(refused.value.message_dict) == {"display_name", "office_address"}
    expert.refresh_from_db()
    assert expert.display_name == "Sam"


# --- The demo answers the visitor's request: no sales consent needed (PIPL Art. 14) ----------


def test_a_demo_asked_for_without_sales_consent_is_invited_booked_and_reminded(
    client, policy, expert
):
    from pledge.people.gate import may

    lead = request_demo(client, "no-sales@example-co.cn")  # no box ticked
    assert not may(lead.person, "sales")
    assert Message.objects.filter(kind="booking_invitation", person=lead.person).count() == 1
    meeting = meeting_book(
        lead=lead, slot_key=lead_slots(lead)[0][0].key, actor=Actor.visitor("test")
    )
    assert meetings_remind(now=meeting.starts_at - timedelta(hours=20)) == 1


def test_withdrawing_consent_to_the_request_stops_its_invitations_and_reminders(
    client, client_for, policy, expert
):
    from pledge.people.services import consent_record

    lead = request_demo(client, "withdrawn@example-co.cn", sales_follow_up="on")
    meeting = meeting_book(
        lead=lead, slot_key=lead_slots(lead)[0][0].key, actor=Actor.visitor("test")
    )
    consent_record(
        person=lead.person,
        subject="essential.service.operations.support",
        granted=False,
        text="I withdraw my consent: Answering your requests and communicating with you",
        language="en",
        method="portal",
        actor=Actor.system("test"),
    )
    response = client_for(expert.user).post(
        f"/en/console/leads/{lead.public_id}/", {"action": "invite"}
    )
    assert response.status_code == 400 and "No link was sent" in response.content.decode()
    assert meetings_remind(now=meeting.starts_at - timedelta(hours=20)) == 0  # sales is no key
