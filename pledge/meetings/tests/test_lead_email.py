"""The expert's new-lead email names the form, the organisation and the time, with the console
link, and carries no way to reach the visitor (issue 16)."""

from zoneinfo import ZoneInfo

import pytest

from pledge.mail.models import Message
from pledge.meetings.tests.conftest import make_expert
from pledge.meetings.tests.test_leads import request_demo

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.mark.parametrize(
    ("languages", "subject", "form_name", "zone"),
    [
        (("zh-hans",), "您有一条新线索", "预约免费演示", "北京、上海 UTC+08:00"),
        (("en",), "A new lead for you", "Book a free demo", "Beijing, Shanghai UTC+08:00"),
    ],
)
def test_the_new_lead_email_names_form_organisation_and_time(
    client, policy, languages, subject, form_name, zone
):
    expert = make_expert("sam", languages=languages)
    prefix = "" if languages == ("zh-hans",) else "/en"
    lead = request_demo(
        client, "vic@example-co.cn", language_prefix=prefix, phone="+86 139 0000 1111"
    )
    assert lead.owner == expert
    note = Message.objects.get(kind="lead_assigned")
    body = note.body_text
    assert note.subject.startswith(subject) and form_name in note.subject
    assert form_name in body and "Example Co" in body
    assert (
        lead.created_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d") in body
        and zone in body  # the zone as the expert reads it, in their language
    )
    assert f"{prefix}/console/leads/{lead.public_id}/" in body
    for private in ("Vic Tor", "vic@example-co.cn", "1111"):
        assert private not in body and private not in note.subject
    assert not note.subject.endswith(("demo", "contact", "interest"))
