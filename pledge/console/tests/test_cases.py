"""The privacy officer's queue in the console: cases by deadline, entered from emails, worked
with the portal's own services (P18, P24; SECURITY.md H7, Z1)."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pledge.cases.models import Case, CaseStatus, Identity
from pledge.cases.services import case_identity_set, case_open
from pledge.mail.models import Message
from pledge.people.models import OptOut, Person
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

EMAIL = "li.lei@acme-robots.cn"


@pytest.fixture
def li():
    return person_upsert(actor=Actor.system("test"), source="web_form", email=EMAIL, name="Li Lei")[
        0
    ]


def opened(kind="access", **extra):
    return case_open(
        kind=kind,
        channel="email",
        actor=Actor.system("test"),
        requester_email=EMAIL,
        language="en",
        acknowledge=False,
        **extra,
    )


def test_the_queue_lists_open_cases_soonest_deadline_first(li, client_for, privacy_officer):
    late = opened("complaint")
    soon = opened("unsubscribe")  # two days
    overdue = opened("access")
    Case.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(days=1))
    done = opened("copy")
    Case.objects.filter(pk=done.pk).update(status="done", completed_at=timezone.now())
    client = client_for(privacy_officer)
    response = client.get("/en/console/cases/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]  # H7
    page = response.text
    references = [case.reference for case in (overdue, soon, late)]
    positions = [page.index(reference) for reference in references]
    assert positions == sorted(positions)
    assert done.reference not in page
    assert "overdue by" in page
    assert done.reference in client.get("/en/console/cases/?show=all").text


def test_the_queue_costs_the_same_queries_for_many_cases(li, client_for, privacy_officer):
    client = client_for(privacy_officer)
    opened()
    client.get("/en/console/cases/")  # the session's first request does its own bookkeeping
    with CaptureQueriesContext(connection) as few:
        client.get("/en/console/cases/")
    for _ in range(10):
        opened("complaint")
    with CaptureQueriesContext(connection) as many:
        client.get("/en/console/cases/")
    assert len(many) == len(few)


def test_staff_enter_an_emailed_request_and_the_requester_is_told_the_deadline(
    li, client_for, privacy_officer, django_capture_on_commit_callbacks
):
    client = client_for(privacy_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/console/cases/new/",
            {
                "kind": "deletion",
                "channel": "email",
                "requester_email": EMAIL,
                "details": "Please delete everything about me.",
                "language": "en",
            },
        )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"{case.public_id}/")
    assert case.person == li and case.channel == "email" and case.opened_by == "staff:pat"
    assert case.due_at - case.opened_at == timedelta(days=30)
    acknowledgement = Message.objects.get(kind="case_received")
    assert acknowledgement.to == EMAIL and case.reference in acknowledgement.subject


def test_nothing_acts_on_the_data_before_the_identity_is_verified(li, client_for, privacy_officer):
    case = opened("deletion", person=li)
    client = client_for(privacy_officer)
    response = client.post(
        f"/en/console/cases/{case.public_id}/", {"action": "erase", "confirm": "erase"}
    )
    assert response.status_code == 400
    assert Person.objects.filter(pk=li.pk).exists()
    assert client.get(f"/en/console/cases/{case.public_id}/export/").status_code == 404


def test_staff_correct_nothing_a_form_would_refuse(li, client_for, privacy_officer):
    """I5 by the staff's door: a name with a line break is refused with a message, not a 500."""
    case = opened("correction", person=li)
    case_identity_set(
        case=case, identity=Identity.VERIFIED_STAFF, actor=Actor.staff(privacy_officer)
    )
    url = f"/en/console/cases/{case.public_id}/"
    response = client_for(privacy_officer).post(
        url, {"action": "correct", "name": "Li\r\nBcc: x@example.com"}
    )
    assert response.status_code == 400 and "on one line" in response.text
    li.refresh_from_db()
    assert "Bcc" not in li.name


def test_staff_actions_run_through_the_portal_services(
    li, client_for, privacy_officer, django_capture_on_commit_callbacks
):
    case = opened("do_not_contact", person=li)
    case_identity_set(
        case=case, identity=Identity.VERIFIED_STAFF, actor=Actor.staff(privacy_officer)
    )
    client = client_for(privacy_officer)
    url = f"/en/console/cases/{case.public_id}/"
    client.post(url, {"action": "opt_out", "kind": "do_not_contact", "scope": "organisation"})
    opt_out = OptOut.objects.get()
    assert opt_out.organization == li.organization and opt_out.channel == "email"
    assert opt_out.created_by == "staff:pat"
    client.post(url, {"action": "correct", "name": "Li Lei (Acme)"})
    li.refresh_from_db()
    assert li.name == "Li Lei (Acme)"
    export = client.get(f"{url}export/")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert "Li Lei (Acme)" in archive.read("data.json").decode()
    case.refresh_from_db()
    assert case.result["opt_out"] == "do_not_contact" and case.result["corrected"] == ["name"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "complete", "resolution": "Nobody will contact Acme."})
    case.refresh_from_db()
    assert case.status == CaseStatus.DONE
    assert [message.to for message in Message.objects.filter(kind="case_answer")] == [EMAIL]
    history = client.get(url).text
    for action in (
        "Request opened",
        "Requester&#x27;s identity checked",
        "Opt-out changed on a request",
        "Details corrected on a request",
    ):
        assert action in history


def test_staff_erase_through_the_case(li, client_for, privacy_officer):
    case = opened("deletion", person=li)
    case_identity_set(
        case=case, identity=Identity.VERIFIED_STAFF, actor=Actor.staff(privacy_officer)
    )
    client = client_for(privacy_officer)
    url = f"/en/console/cases/{case.public_id}/"
    assert client.post(url, {"action": "erase", "confirm": "no"}).status_code == 400
    response = client.post(url, {"action": "erase", "confirm": "erase"})
    assert response.status_code == 200
    assert not Person.objects.filter(pk=li.pk).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.DONE and case.hold == "rights_requests"
    assert AuditEntry.objects.get(action="person.erased").actor_label == "staff:pat"


def test_a_guardian_case_needs_the_guardian_verified_before_a_link(li, client_for, privacy_officer):
    case = case_open(
        kind="access",
        channel="guardian",
        actor=Actor.visitor("guardian"),
        requester_email="parent@family-mail.cn",
        subject_email=EMAIL,
        acknowledge=False,
    )
    client = client_for(privacy_officer)
    response = client.post(f"/en/console/cases/{case.public_id}/", {"action": "link"})
    assert response.status_code == 400
    assert not Message.objects.filter(kind="portal_link").exists()


def test_other_roles_cannot_reach_a_case(li, client_for, sales_expert, support):
    case = opened()
    for user in (sales_expert, support):
        response = client_for(user).get(f"/en/console/cases/{case.public_id}/")
        assert response.status_code == 403


def test_the_person_page_lists_their_cases_and_starts_a_new_one(li, client_for, privacy_officer):
    case = opened("access", person=li)
    client = client_for(privacy_officer)
    page = client.get(f"/en/console/people/{li.public_id}/").text
    assert case.reference in page
    form = client.get(f"/en/console/cases/new/?person={li.public_id}").text
    assert f'value="{EMAIL}"' in form  # the address comes from the person, not the URL


def test_today_counts_what_is_overdue_and_due_this_week(li, client_for, privacy_officer, marketer):
    overdue = opened()
    Case.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=2))
    opened("unsubscribe")  # due in two days
    opened("complaint")  # due in thirty
    page = client_for(privacy_officer).get("/en/console/").text
    assert "1 overdue" in page and "1 due within a week" in page and "3 open in all" in page
    assert "due within a week" not in client_for(marketer).get("/en/console/").text


def test_the_queue_pages_fifty_at_a_time_by_links(li, client_for, privacy_officer):
    first = opened()
    for _ in range(50):
        opened("complaint")
    Case.objects.filter(pk=first.pk).update(due_at=timezone.now() + timedelta(days=400))
    client = client_for(privacy_officer)
    page = client.get("/en/console/cases/").text
    assert first.reference not in page  # the latest deadline: on page 2
    assert 'href="?show=open&amp;page=2" rel="next"' in page
    second = client.get("/en/console/cases/?show=open&page=2").text
    assert first.reference in second and 'rel="prev"' in second
    assert client.get("/en/console/cases/?page=abc").status_code == 200
