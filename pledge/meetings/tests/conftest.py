from datetime import time

import pytest

from pledge.conftest import make_staff
from pledge.inventory.services import policy_publish
from pledge.meetings.models import Availability, Expert
from pledge.vault.access import Role


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
