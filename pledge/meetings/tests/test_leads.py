"""The lead inbox (P11, P22, P25): every sales form becomes a lead; experts see only their own."""

import re

import pytest

from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.mail.models import Message
from pledge.meetings.leads import lead_note_add, lead_status_set, leads_for
from pledge.meetings.models import Lead
from pledge.meetings.tests.conftest import make_expert
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def request_demo(client, email, language_prefix="/en", **extra):
    question = sum_issue()
    data = {
        "name": "Vic Tor",
        "email": email,
        "company": "Example Co",
        "meeting_mode": "online",
        "preferred_times": ["weekday_morning"],
        SUM_TOKEN_FIELD: question.token,
        SUM_FIELD: str(question.left + question.right),
        **extra,
    }
    response = client.post(f"{language_prefix}/demo/", data)
    assert response.status_code == 200, response.content.decode()[:1500]
    return Lead.objects.order_by("-id").first()


def test_a_demo_request_becomes_a_lead_assigned_round_robin(client, policy, expert, other_expert):
    first = request_demo(client, "one@example-co.cn")
    second = request_demo(client, "two@example-co.cn")
    third = request_demo(client, "three@example-co.cn")
    assert {first.owner, second.owner} == {expert, other_expert}
    assert third.owner == first.owner
    assert AuditEntry.objects.filter(action="lead.assigned").count() == 3


def test_only_experts_serving_the_language_get_the_lead(client, policy, db):
    make_expert("zhonly", languages=("zh-hans",))
    english = make_expert("enonly", languages=("en",))
    lead = request_demo(client, "lang@example-co.cn")
    assert lead.owner == english


def test_the_visitor_gets_a_private_booking_link(client, policy, expert):
    lead = request_demo(client, "link@example-co.cn")
    invitation = Message.objects.get(kind="booking_invitation")
    token = re.search(r"/demo/booking/([^/\s]+)/", invitation.private_links["link"]).group(1)
    assert lead.booking_token_hash and token not in lead.booking_token_hash
    page = client.get(f"/en/demo/booking/{token}/").content.decode()
    slot = re.search(r'name="slot" value="(\w+)"', page).group(1)  # nothing preselected
    assert "checked" not in page
    page = client.get(f"/en/demo/booking/{token}/", {"slot": slot}).content.decode()
    assert "Book this time" in page  # the confirmation step


def test_an_expert_sees_only_their_own_leads_by_service_and_by_url(
    client, client_for, policy, expert, other_expert
):
    request_demo(client, "a@example-co.cn")
    request_demo(client, "b@example-co.cn")
    mine = Lead.objects.get(owner=expert)
    theirs = Lead.objects.get(owner=other_expert)
    assert list(leads_for(actor=Actor.staff(expert.user))) == [mine]
    session = client_for(expert.user)
    assert session.get(f"/en/console/leads/{mine.public_id}/").status_code == 200
    assert session.get(f"/en/console/leads/{theirs.public_id}/").status_code == 403
    assert session.get(f"/en/console/people/{theirs.person.public_id}/").status_code == 403
    assert session.get(f"/en/console/people/{mine.person.public_id}/").status_code == 200
    inbox = session.get("/en/console/leads/").content.decode()
    assert str(mine.public_id) in inbox and str(theirs.public_id) not in inbox


def test_the_expert_works_the_lead_and_every_step_is_audited(client, policy, expert):
    lead = request_demo(client, "work@example-co.cn")
    lead_status_set(lead=lead, status="qualified", actor=Actor.staff(expert.user))
    lead_note_add(lead=lead, text="Wants the service desk module.", actor=Actor.staff(expert.user))
    lead.refresh_from_db()
    assert lead.status == "qualified"
    assert lead.notes.get().text == "Wants the service desk module."
    actions = set(
        AuditEntry.objects.filter(object_id=str(lead.public_id)).values_list("action", flat=True)
    )
    assert {"lead.created", "lead.assigned", "lead.status_set", "lead.note_added"} <= actions


def test_the_administrator_assigns_by_hand_and_the_owner_changes(
    client, client_for, policy, administrator, expert, other_expert
):
    lead = request_demo(client, "hand@example-co.cn")
    target = other_expert if lead.owner == expert else expert
    client_for(administrator).post(
        f"/en/console/leads/{lead.public_id}/", {"action": "assign", "expert": target.pk}
    )
    lead.refresh_from_db()
    assert lead.owner == target


def test_viewing_a_lead_is_audited(client, client_for, policy, expert):
    lead = request_demo(client, "seen@example-co.cn")
    client_for(expert.user).get(f"/en/console/leads/{lead.public_id}/")
    assert AuditEntry.objects.filter(
        action="lead.viewed", object_id=str(lead.public_id), actor=expert.user
    ).exists()


def test_the_owner_is_told_of_a_new_lead_without_personal_data(client, policy, expert):
    lead = request_demo(client, "told@example-co.cn")
    note = Message.objects.get(kind="lead_assigned")
    assert note.to == "sam@letsgonex.com"
    assert str(lead.public_id) in note.body_text
    assert "told@example-co.cn" not in note.body_text and "Vic Tor" not in note.body_text
