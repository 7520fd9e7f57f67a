"""The person page as sales sees it (P22): each app's events in the timeline through its provider,
and the lead rule meetings registers with people: an expert opens, and may mark not to be
contacted, the people of their own leads and no one else."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from pledge.meetings.models import Lead, Meeting
from pledge.meetings.tests.test_leads import request_demo
from pledge.people import registry
from pledge.people.optouts import do_not_contact_set
from pledge.people.services import organization_open, person_open
from pledge.people.timeline import person_timeline
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_the_timeline_holds_each_apps_events_newest_first(
    client, client_for, policy, expert, privacy_officer
):
    lead = request_demo(client, "timeline@example-co.cn")
    starts = timezone.now() + timedelta(days=2)
    Meeting.objects.create(
        lead=lead,
        expert=expert,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        mode="online",
    )
    with translation.override("en"):
        timeline = person_timeline(lead.person)
    assert [entry.at for entry in timeline] == sorted(
        (entry.at for entry in timeline), reverse=True
    )
    by_kind = {entry.kind: entry for entry in timeline}
    assert {"submission", "email", "lead", "meeting"} <= set(by_kind)
    assert timeline[0].kind == "meeting"  # the booked demo is still to come
    assert by_kind["submission"].provider == "intake.submissions"
    assert by_kind["submission"].summary == "Book a free demo"  # words, not the key
    assert "Company: Example Co" in by_kind["submission"].detail
    assert by_kind["submission"].policy_version == policy.number
    assert by_kind["email"].provider == "mail.messages"
    assert by_kind["lead"].provider == "meetings.leads"
    assert by_kind["lead"].link == f"/en/console/leads/{lead.public_id}/"
    assert by_kind["meeting"].summary == "Online"
    assert by_kind["meeting"].detail == "Booked · Sam"

    page = client_for(privacy_officer).get(f"/en/console/people/{lead.person.public_id}/")
    text = page.content.decode()
    assert f'<a href="/en/console/leads/{lead.public_id}/">Book a free demo</a>' in text
    assert "Form sent</strong><br>Book a free demo" in text and "Meeting</strong><br>Online" in text
    assert "Booked · Sam" in text


def test_meetings_registers_its_rule_with_people():
    assert "meetings.leads" in registry._grants


def test_an_expert_opens_the_people_of_their_own_leads_only(client, policy, expert, other_expert):
    request_demo(client, "mine@example-co.cn")
    request_demo(client, "theirs@example-co.cn")
    mine = Lead.objects.get(owner=expert).person
    theirs = Lead.objects.get(owner=other_expert).person
    sam = Actor.staff(expert.user)

    assert person_open(person=mine, actor=sam) == mine
    assert AuditEntry.objects.filter(action="person.viewed", object_id=str(mine.public_id)).exists()
    with pytest.raises(PermissionDenied):
        person_open(person=theirs, actor=sam)
    with pytest.raises(PermissionDenied):  # an organisation's page lists people of any lead
        organization_open(organization=mine.organization, actor=sam)


def test_an_expert_marks_their_own_leads_person_not_to_be_contacted(
    client, policy, expert, other_expert
):
    request_demo(client, "mine@example-co.cn")
    request_demo(client, "theirs@example-co.cn")
    mine = Lead.objects.get(owner=expert).person
    theirs = Lead.objects.get(owner=other_expert).person
    sam = Actor.staff(expert.user)

    do_not_contact_set(value=True, person=mine, actor=sam, reason="asked on the phone")
    mine.refresh_from_db()
    assert mine.do_not_contact
    with pytest.raises(PermissionDenied):
        do_not_contact_set(value=True, person=theirs, actor=sam)
    with pytest.raises(PermissionDenied):
        do_not_contact_set(value=True, organization=mine.organization, actor=sam)


def test_whoever_sees_all_leads_may_stop_contact_but_opens_no_one(
    client, policy, expert, administrator
):
    person = request_demo(client, "admin@example-co.cn").person
    alice = Actor.staff(administrator)
    do_not_contact_set(value=True, organization=person.organization, actor=alice)
    person.organization.refresh_from_db()
    assert person.organization.do_not_contact
    do_not_contact_set(value=True, person=person, actor=alice)
    with pytest.raises(PermissionDenied):
        person_open(person=person, actor=alice)


def test_the_expert_opens_their_own_lead_only_as_an_actor(client, policy, expert, other_expert):
    request_demo(client, "mine@example-co.cn")
    mine = Lead.objects.get(owner=expert).person
    assert person_open(person=mine, actor=Actor.staff(expert.user)) == mine
    with pytest.raises(PermissionDenied):
        person_open(person=mine, actor=Actor.staff(other_expert.user))
    with pytest.raises(PermissionDenied):  # the user object itself is no actor (issue 13)
        person_open(person=mine, actor=expert.user)
