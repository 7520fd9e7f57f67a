"""SECURITY.md Z1: every console URL against every role, read from the URL resolver.

A console view declares its permission with ``staff_view(permission)``; this test reaches each
one as each role and expects 200 exactly when the role holds the permission, 403 otherwise. A
new console URL is covered the day it is added, or this test fails naming it.
"""

import pytest
from django.urls import URLPattern, get_resolver

from pledge.cases.services import case_open
from pledge.conftest import make_staff
from pledge.inbox.services import inbound_receive
from pledge.intake.models import ImportBatch, Submission
from pledge.mail.models import Campaign, CampaignKind
from pledge.mail.services import mail_send
from pledge.meetings.models import Expert, Lead
from pledge.people.models import Organization
from pledge.people.services import person_create
from pledge.vault.access import ROLE_PERMISSIONS, Role
from pledge.vault.actors import Actor

# Every console page, rendered at each instant of the clock runs too.
pytestmark = pytest.mark.clock

# The door: pages reached before the second factor, each with its own tests.
DOOR = {"login", "verify", "enrol", "logout"}

PERSONAS = {
    "administrator": Role.ADMINISTRATOR,
    "privacy_officer": Role.PRIVACY_OFFICER,
    "sales_expert": Role.SALES_EXPERT,
    "marketer": Role.MARKETING,
    "support": Role.SUPPORT,
    "outsider": None,
}


def console_patterns() -> list[URLPattern]:
    for prefix, namespace in get_resolver().namespace_dict.items():
        if prefix == "console":
            return list(namespace[1].url_patterns)
    raise AssertionError("no console namespace")


def sample_url(pattern: URLPattern, samples: dict) -> str:
    route = str(pattern.pattern)
    for converter, value in samples.items():
        route = route.replace(converter, str(value))
    assert "<" not in route, f"console URL {route} needs a sample value in test_matrix.py"
    return f"/console/{route}"


# Views whose service also checks the object: the sample objects below belong to nobody in
# particular, so an expert holding ``work_own_leads`` is still refused them.
OBJECT_LEVEL = {
    "person": {"sales_expert": 403},
    "lead": {"sales_expert": 403},
    "expert_edit": {"sales_expert": 403},
    # A list campaign's preview is marketing's; the privacy officer previews only notices.
    "campaign_preview": {"privacy_officer": 403},
}


# What a page answers to whoever may open it when it has nothing to give: the recovery codes'
# download outside the moment after they were shown.
GONE = {"recovery_codes_download": 410}


def expected_status(name: str, permission, held: set, persona: str) -> int:
    if persona in OBJECT_LEVEL.get(name, {}):
        return OBJECT_LEVEL[name][persona]
    if permission is None:
        allowed = True
    elif isinstance(permission, tuple):
        allowed = bool(held & set(permission))
    else:
        allowed = permission in held
    return GONE.get(name, 200) if allowed else 403


def test_every_console_url_declares_its_permission():
    for pattern in console_patterns():
        assert pattern.name in DOOR or hasattr(pattern.callback, "staff_permission"), (
            f"console URL '{pattern.name}' is not wrapped in staff_view"
        )


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_role_reaches_exactly_what_it_should(persona, request, client_for, administrator):
    user = administrator if persona == "administrator" else request.getfixturevalue(persona)
    person = person_create(actor=Actor.system("test"), source="staff", name="Han Mei")
    message = mail_send(
        kind="notice",
        to="han@example.cn",
        language="en",
        context={"subject": "s", "body": "b"},
        actor=Actor.system("test"),
        attachments=[
            {
                "filename": "invite.ics",
                "content": "BEGIN:VCALENDAR\r\n",
                "mimetype": "text/calendar",
            }
        ],
    )
    case = case_open(
        kind="access",
        channel="email",
        actor=Actor.system("test"),
        requester_email="han@example.cn",
        person=person,
        identity="verified_staff",
        acknowledge=False,
    )
    submission = Submission.objects.create(form="demo", person=person, language="en")
    lead = Lead.objects.create(submission=submission, person=person, form="demo", language="en")
    organization = Organization.objects.create(domain="matrix.example")
    expert = Expert.objects.create(user=make_staff("ella"), display_name="Ella")
    batch = ImportBatch.objects.create(source="third_parties", legal_basis="consent")
    campaign = Campaign.objects.create(
        list_key="newsletter",
        name="News",
        subject={"zh-hans": "新闻", "en": "News"},
        body={"zh-hans": "新闻", "en": "News"},
        created_by="staff:mia",
    )
    notice = Campaign.objects.create(
        kind=CampaignKind.ACQUISITION_NOTICE,
        name="Acquisition",
        subject={"zh-hans": "通知", "en": "Notice"},
        body={"zh-hans": "通知", "en": "Notice"},
        created_by="staff:zhou",
    )
    inbound = inbound_receive(
        b"From: a@example.cn\r\nSubject: s\r\nMessage-ID: <m@example.cn>\r\n\r\nhello\r\n",
        source="smtp",
    )
    samples = {
        "people/<uuid:public_id>": f"people/{person.public_id}",
        "cases/<uuid:public_id>": f"cases/{case.public_id}",
        "outbox/<uuid:public_id>": f"outbox/{message.public_id}",
        "leads/<uuid:public_id>": f"leads/{lead.public_id}",
        "organizations/<uuid:public_id>": f"organizations/{organization.public_id}",
        "import/<uuid:public_id>": f"import/{batch.public_id}",
        "campaigns/<uuid:public_id>": f"campaigns/{campaign.public_id}",
        "notices/<uuid:public_id>": f"notices/{notice.public_id}",
        "inbox/<uuid:public_id>": f"inbox/{inbound.public_id}",
        "<str:language>": "en",
        "<path:processing>": "organisation_identification",  # a processing to assess
        "<int:expert_id>": expert.pk,
        "<int:index>": 0,  # the message's first attachment
        "<int:user_id>": administrator.pk,
    }
    role = PERSONAS[persona]
    held = ROLE_PERMISSIONS.get(role, set())
    client = client_for(user)
    for pattern in console_patterns():
        if pattern.name in DOOR:
            continue
        permission = pattern.callback.staff_permission
        url = sample_url(pattern, samples)
        expected = expected_status(pattern.name, permission, held, persona)
        response = client.get(url)
        assert response.status_code == expected, (persona, url, permission)
