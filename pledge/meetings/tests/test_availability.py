"""An expert's availability (P25): the weekly grid, exceptions (holidays, days off), a buffer
between meetings and a minimum notice; the slots respect each, booking re-checks each, and
the Today page's agenda counts days in the expert's zone.

Every test here runs at each instant of the clock runs (midnight in Shanghai, 16:00 UTC, a
month's and a year's end): days are computed from "now" in the expert's zone, never fixed.
"""

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pledge.conftest import make_staff
from pledge.meetings.experts import (
    expert_agenda,
    expert_update,
    grid_cells,
    grid_off_steps,
    grid_rows,
    time_off_add,
    time_off_remove,
    windows_from_cells,
)
from pledge.meetings.models import Availability, Expert, Meeting, TimeOff, TimeOffKind
from pledge.meetings.scheduling import expert_slots, lead_slots, meeting_book
from pledge.meetings.tests.conftest import meeting_for
from pledge.meetings.tests.test_leads import request_demo
from pledge.people.models import Organization
from pledge.vault.access import Role
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def local_today(expert: Expert) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(expert.time_zone)).date()


def at(expert: Expert, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zoneinfo.ZoneInfo(expert.time_zone))


def local_days(expert: Expert, slots) -> set[date]:
    zone = zoneinfo.ZoneInfo(expert.time_zone)
    return {slot.starts_at.astimezone(zone).date() for slot in slots}


# --- Exceptions ---------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles", "Pacific/Auckland"])
def test_no_slot_on_a_holiday_counted_in_the_experts_own_zone(expert, zone):
    """A holiday is a whole day of the expert's calendar, midnight to midnight where they are,
    whatever UTC's or the site's date is at that instant."""
    Expert.objects.filter(pk=expert.pk).update(time_zone=zone)
    expert.refresh_from_db()
    holiday = local_today(expert) + timedelta(days=3)
    before = local_days(expert, expert_slots(expert))
    assert holiday in before
    time_off_add(
        expert=expert,
        actor=Actor.staff(expert.user),
        first_day=holiday,
        kind=TimeOffKind.HOLIDAY,
        note="National Day",
    )
    after = local_days(expert, expert_slots(expert))
    assert holiday not in after
    assert {holiday - timedelta(days=1), holiday + timedelta(days=1)} <= after


def test_days_off_across_a_month_and_year_end_take_every_day_out(expert):
    """A range from today through the next five days crosses the month's (and, on 31
    December, the year's) end at the instants the clock runs use."""
    first = local_today(expert)
    time_off_add(
        expert=expert,
        actor=Actor.staff(expert.user),
        first_day=first,
        last_day=first + timedelta(days=5),
    )
    days = local_days(expert, expert_slots(expert))
    assert not {first + timedelta(days=offset) for offset in range(6)} & days
    assert first + timedelta(days=6) in days


def test_part_of_a_day_off_leaves_the_rest_of_the_day(expert):
    day = local_today(expert) + timedelta(days=2)
    time_off_add(
        expert=expert, actor=Actor.staff(expert.user), first_day=day, start=time(9), end=time(12)
    )
    zone = zoneinfo.ZoneInfo(expert.time_zone)
    hours = sorted(
        slot.starts_at.astimezone(zone).hour
        for slot in expert_slots(expert)
        if slot.starts_at.astimezone(zone).date() == day
    )
    assert hours == [12, 13, 14, 15, 16, 17]


def test_time_off_is_refused_when_it_makes_no_sense(expert):
    actor, today = Actor.staff(expert.user), local_today(expert)
    cases = [
        ({"last_day": today - timedelta(days=1)}, "last_day"),
        ({"last_day": today + timedelta(days=400)}, "last_day"),
        ({"start": time(10)}, "end"),
        ({"start": time(10), "end": time(9)}, "end"),
        ({"note": "Holiday\r\nBcc: x@example.com"}, "note"),
        ({"kind": "sabbatical"}, "kind"),
    ]
    for extra, field in cases:
        with pytest.raises(ValidationError) as refused:
            time_off_add(expert=expert, actor=actor, first_day=today, **extra)
        assert field in refused.value.message_dict, extra
    assert not TimeOff.objects.exists()


def test_only_the_expert_or_a_lead_manager_changes_their_time_off(expert, other_expert):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        time_off_add(
            expert=expert, actor=Actor.staff(other_expert.user), first_day=local_today(expert)
        )
    time_off = time_off_add(
        expert=expert, actor=Actor.staff(expert.user), first_day=local_today(expert)
    )
    with pytest.raises(PermissionDenied):
        time_off_remove(
            expert=expert, actor=Actor.staff(other_expert.user), time_off_id=time_off.pk
        )
    assert time_off_remove(expert=expert, actor=Actor.staff(expert.user), time_off_id=time_off.pk)
    assert not time_off_remove(
        expert=expert, actor=Actor.staff(expert.user), time_off_id=time_off.pk
    )


# --- The buffer ---------------------------------------------------------------------------


def test_the_buffer_keeps_slots_clear_before_and_after_a_meeting(expert):
    day = local_today(expert) + timedelta(days=2)
    meeting_for(expert, at(expert, day, 13))
    zone = zoneinfo.ZoneInfo(expert.time_zone)

    def hours():
        return sorted(
            slot.starts_at.astimezone(zone).hour
            for slot in expert_slots(expert)
            if slot.starts_at.astimezone(zone).date() == day
        )

    assert hours() == [9, 10, 11, 12, 14, 15, 16, 17]  # back to back without a buffer
    Expert.objects.filter(pk=expert.pk).update(buffer_minutes=30)
    expert.refresh_from_db()
    assert hours() == [9, 10, 11, 15, 16, 17]  # 12:00 ends, 14:00 starts, too close
    Expert.objects.filter(pk=expert.pk).update(buffer_minutes=120)
    expert.refresh_from_db()
    assert hours() == [9, 10, 16, 17]


def test_a_meeting_just_before_midnight_buffers_the_next_morning(expert):
    """The buffer reaches across a day's end in the expert's zone."""
    day = local_today(expert) + timedelta(days=2)
    Availability.objects.create(expert=expert, weekday=day.weekday(), start=time(22), end=time(23))
    next_day = day + timedelta(days=1)
    Availability.objects.create(
        expert=expert, weekday=next_day.weekday(), start=time(0), end=time(2)
    )
    meeting_for(expert, at(expert, day, 22))  # until 23:00
    Expert.objects.filter(pk=expert.pk).update(buffer_minutes=90)
    expert.refresh_from_db()
    starts = {slot.starts_at for slot in expert_slots(expert)}
    assert at(expert, next_day, 0) not in starts  # 60 minutes after it ends: within 90
    assert at(expert, next_day, 1) in starts  # 120 minutes after: clear
    assert at(expert, day, 9) in starts


# --- Minimum notice -----------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, 30, 720])
def test_no_slot_starts_sooner_than_the_notice(expert, hours):
    Expert.objects.filter(pk=expert.pk).update(notice_hours=hours)
    expert.refresh_from_db()
    now = timezone.now()
    slots = expert_slots(expert, now=now)
    assert slots, "the horizon starts where the notice ends, so slots remain"
    assert min(slot.starts_at for slot in slots) >= now + timedelta(hours=hours)
    if hours == 0:  # windows every day from 09:00 to 18:00: one within a day
        assert min(slot.starts_at for slot in slots) < now + timedelta(hours=24)


def test_the_buffer_and_notice_stay_within_their_ranges(expert):
    actor = Actor.staff(expert.user)
    for fields, name in [
        ({"buffer_minutes": 121}, "buffer_minutes"),
        ({"buffer_minutes": -5}, "buffer_minutes"),
        ({"notice_hours": 721}, "notice_hours"),
    ]:
        with pytest.raises(ValidationError) as refused:
            expert_update(expert=expert, actor=actor, display_name="Sam", **fields)
        assert name in refused.value.message_dict
    expert_update(
        expert=expert, actor=actor, display_name="Sam", buffer_minutes=120, notice_hours=720
    )
    expert.refresh_from_db()
    assert (expert.buffer_minutes, expert.notice_hours) == (120, 720)
    assert expert.availability.count() == 7  # no grid given: the windows stay


# --- Booking re-checks the rules under the lock -------------------------------------------


def test_booking_into_a_new_holiday_is_refused_with_its_reason(client, policy, expert):
    lead = request_demo(client, "holiday@example-co.cn")
    slot = lead_slots(lead)[0][0]
    zone = zoneinfo.ZoneInfo(expert.time_zone)
    time_off_add(
        expert=expert,
        actor=Actor.staff(expert.user),
        first_day=slot.starts_at.astimezone(zone).date(),
        kind=TimeOffKind.HOLIDAY,
    )
    with pytest.raises(ValidationError) as refused:
        meeting_book(lead=lead, slot_key=slot.key, actor=Actor.visitor("test"))
    assert "away" in refused.value.messages[0]
    assert not Meeting.objects.exists()


def test_booking_into_a_buffer_is_refused_with_its_reason(client, policy, expert):
    first_lead = request_demo(client, "first@example-co.cn")
    slots = lead_slots(first_lead)[0]
    # The first slot may end its window (the last fitting morning slot): take the first pair.
    first, second = next((a, b) for a in slots for b in slots if b.starts_at == a.ends_at)
    second_lead = request_demo(client, "second@example-co.cn")
    meeting_book(lead=first_lead, slot_key=first.key, actor=Actor.visitor("test"))
    Expert.objects.filter(pk=expert.pk).update(buffer_minutes=15)
    with pytest.raises(ValidationError) as refused:
        meeting_book(lead=second_lead, slot_key=second.key, actor=Actor.visitor("test"))
    assert "too close" in refused.value.messages[0]
    assert Meeting.objects.count() == 1


def test_booking_too_soon_is_refused_with_its_reason(client, policy, expert):
    lead = request_demo(client, "soon@example-co.cn")
    slot = lead_slots(lead)[0][0]
    Expert.objects.filter(pk=expert.pk).update(notice_hours=720)
    with pytest.raises(ValidationError) as refused:
        meeting_book(lead=lead, slot_key=slot.key, actor=Actor.visitor("test"))
    assert "too soon" in refused.value.messages[0]
    assert not Meeting.objects.exists()


def test_a_refusal_reads_in_chinese(client, policy, expert):
    from django.utils import translation

    lead = request_demo(client, "zh@example-co.cn")
    slot = lead_slots(lead)[0][0]
    Expert.objects.filter(pk=expert.pk).update(notice_hours=720)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        meeting_book(lead=lead, slot_key=slot.key, actor=Actor.visitor("test"))
    message = refused.value.messages[0]
    assert "too soon" not in message and "。" in message


# --- The weekly grid ----------------------------------------------------------------------


def test_touching_cells_join_into_windows_and_come_back_as_cells(expert):
    cells = {(0, time(9)), (0, time(9, 30)), (0, time(10)), (2, time(14)), (2, time(15))}
    windows = windows_from_cells(cells)
    assert windows[0] == [(time(9), time(10, 30))]
    assert windows[2] == [(time(14), time(14, 30)), (time(15), time(15, 30))]
    expert_update(
        expert=expert, actor=Actor.staff(expert.user), display_name="Sam", availability=windows
    )
    assert grid_cells(expert) == cells
    assert not grid_off_steps(expert)


def test_the_grid_widens_to_show_every_saved_hour(expert):
    assert grid_rows(expert)[0] == time(7) and grid_rows(expert)[-1] == time(20, 30)
    Availability.objects.create(expert=expert, weekday=6, start=time(5, 15), end=time(23, 59))
    rows = grid_rows(expert)
    assert rows[0] == time(5) and rows[-1] == time(23)  # the last row ends at 23:30
    assert grid_off_steps(expert)  # 05:15 and 23:59 are between the half hours


# --- The agenda on the Today page ---------------------------------------------------------


def test_the_agenda_holds_todays_meetings_and_the_next_seven_days(expert):
    today = local_today(expert)
    Organization.objects.create(name="Unused Org", domain="unused.example")
    early = meeting_for(expert, at(expert, today, 0, 30), company="Early Co")
    tomorrow = meeting_for(expert, at(expert, today + timedelta(days=1), 10), company="Next Co")
    meeting_for(expert, at(expert, today - timedelta(days=1), 22), company="Yesterday Co")
    meeting_for(expert, at(expert, today + timedelta(days=8), 10), company="Later Co")
    agenda = expert_agenda(actor=Actor.staff(expert.user))
    assert [meeting.pk for meeting in agenda["today"]] == [early.pk]
    assert [meeting.pk for meeting in agenda["next"]] == [tomorrow.pk]
    assert agenda["today"][0].organization_name == "Early Co"


def test_staff_without_an_expert_profile_have_no_agenda_and_get_none_made(db):
    officer = make_staff("olive", Role.PRIVACY_OFFICER)
    manager = make_staff("mona", Role.SALES_EXPERT)
    assert expert_agenda(actor=Actor.staff(officer)) is None
    assert expert_agenda(actor=Actor.staff(manager)) is None
    assert not Expert.objects.exists()
    assert expert_agenda(actor=Actor.system("test")) is None
