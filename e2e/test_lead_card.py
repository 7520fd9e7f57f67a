"""The lead card in a real browser, in both languages and at 390 px: readable answers, the
person's timeline and the next meeting (issue 16)."""

import re

import pytest

pytestmark = pytest.mark.browser

SEED = """
from datetime import timedelta
from django.utils import timezone
from pledge.intake.models import Submission
from pledge.meetings.models import Expert, Lead, Meeting
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor
from django.contrib.auth import get_user_model
person, _ = person_upsert(
    actor=Actor.system("e2e.seed"), source="web_form", email="card@example-card.cn",
    name="Card Person", company="Card Co", language="zh-hans",
)
submission = Submission.objects.create(
    form="demo", person=person, language="zh-hans",
    answers={{"company": "Card Co", "meeting_mode": "online",
             "preferred_times": ["weekday_morning", "weekday_evening"]}},
)
lead = Lead.objects.create(submission=submission, person=person, form="demo", language="zh-hans")
user = get_user_model().objects.get(username={username!r})
expert, _ = Expert.objects.get_or_create(user=user, defaults={{"display_name": "Card Expert"}})
start = timezone.now() + timedelta(days=2)
Meeting.objects.create(lead=lead, expert=expert, starts_at=start, ends_at=start + timedelta(hours=1),
                       mode="online", location="https://meet.example/card",
                       visitor_timezone="America/New_York")
print(lead.public_id)
"""


def test_the_lead_card_reads_as_words(server, page, staff_login, screenshot):
    lead_id = server.pledge("shell", "-c", SEED.format(username="admin")).strip().splitlines()[-1]
    staff_login(page)
    for prefix, name, words in (
        (
            "/en",
            "lead-card-en",
            [
                "Weekday mornings",
                "Online",
                "Next meeting",
                "Timeline",
                "for the visitor (New York UTC\u2212",
            ],
        ),
        ("", "lead-card-zh", ["工作日上午", "线上", "下次会议", "预约免费演示", "访客时间"]),
    ):
        page.goto(f"{server.url}{prefix}/console/leads/{lead_id}/")
        text = page.inner_text("main")
        for word in words:
            assert word in text, (prefix, word)
        assert "weekday_morning" not in text and "['" not in text
        assert not re.search(r"\bmeeting_mode\b|\bzh-hans\b", text)
        screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/en/console/leads/{lead_id}/")
    screenshot(page, "lead-card-390")
