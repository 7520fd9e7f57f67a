from datetime import datetime, time, timedelta

import pytest

from pledge.conftest import make_staff
from pledge.intake.models import Submission
from pledge.inventory.services import policy_publish
from pledge.meetings.models import Availability, Expert, Lead, Meeting
from pledge.people.services import person_create
from pledge.vault.access import Role
from pledge.vault.actors import Actor


@pytest.fixture
def policy(db):
    return policy_publish(summary={"en": "v1"}, material=True, published_by="test")


def make_expert(username, *, forms=("demo", "interest", "contact"), languages=("zh-hans", "en")):
    user = make_staff(username, Role.SALES_EXPERT)
    expert = Expert.objects.create(
        user=user,
        display_name=username.title(),
        languages=list(languages),
        forms=list(forms),
        meeting_link=f"https://meet.letsgonex.cn/{username}",
        office_address="Gonex office, Shanghai",
    )
    for weekday in range(7):
        Availability.objects.create(expert=expert, weekday=weekday, start=time(9), end=time(18))
    return expert


@pytest.fixture
def expert(db):
    return make_expert("sam")


@pytest.fixture
def other_expert(db):
    return make_expert("olga")


def meeting_for(
    expert: Expert, starts_at: datetime, *, company: str = "Acme Ltd", **fields
) -> Meeting:
    """A booked hour with Li Lei of ``company``, made directly (no booking page): what the
    rules must keep clear of, or what an agenda shows. ``fields``: the meeting's own, such as
    ``mode`` or ``visitor_timezone``."""
    person = person_create(actor=Actor.system("test"), source="staff", name="Li Lei")
    submission = Submission.objects.create(
        form="demo", person=person, language="en", answers={"company": company}
    )
    lead = Lead.objects.create(
        submission=submission, person=person, form="demo", language="en", owner=expert
    )
    return Meeting.objects.create(
        lead=lead,
        expert=expert,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        **{"mode": "online", **fields},
    )
