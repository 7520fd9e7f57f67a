"""The console's inbox: what waits for staff, and staff deciding what a message is (with
JavaScript off: plain forms)."""

import pytest

from pledge.cases.models import Case
from pledge.inbox.models import Classification, InboundMessage, Outcome
from pledge.inbox.services import inbound_receive
from pledge.inbox.tests.conftest import mail
from pledge.people.models import OptOut
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def unclear():
    return inbound_receive(
        mail(
            sender="zhao@example.cn",
            subject="关于上次的电话",
            body="上周你们打电话给我，我很不高兴。",
            headers={"Authentication-Results": "mx.example; spf=pass; dkim=pass; dmarc=pass"},
        ),
        source="imap",
    )


def test_the_triage_list_shows_what_waits_with_labels_not_codes(support, client_for, unclear):
    response = client_for(support).get("/console/inbox/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "关于上次的电话" in page and "zhao@example.cn" in page
    assert "交由工作人员决定" in page and "等待工作人员决定" in page  # labels, in Chinese
    assert ">triage<" not in page


def test_the_message_page_shows_the_text_checks_and_attachments_never_rendered(support, client_for):
    raw = (
        b"From: a@example.cn\r\nSubject: see attached\r\nMessage-ID: <att@example.cn>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\n<script>alert(1)</script> hello\r\n"
        b'--b\r\nContent-Type: text/html; name="page.html"\r\n'
        b'Content-Disposition: attachment; filename="page.html"\r\n\r\n'
        b"<script>alert(2)</script>\r\n--b--\r\n"
    )
    message = inbound_receive(raw, source="smtp")
    response = client_for(support).get(f"/console/inbox/{message.public_id}/")
    page = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hello" in page
    assert "<script>alert" not in page and "alert(2)" not in page
    assert "page.html" in page and "text/html" in page
    assert AuditEntry.objects.filter(action="inbox.viewed").count() == 1


def test_staff_pick_the_kind_and_the_same_action_runs(support, client_for, unclear):
    client = client_for(support)
    page = client.get(f"/console/inbox/{unclear.public_id}/").content.decode()
    assert 'name="choice"' in page and "request:complaint" in page
    response = client.post(
        f"/console/inbox/{unclear.public_id}/",
        {"action": "decide", "choice": "request:complaint"},
    )
    assert response.status_code == 302
    unclear.refresh_from_db()
    assert unclear.classification == Classification.COMPLAINT
    assert unclear.outcome == Outcome.CASE_OPENED and unclear.handled_by == "staff:sue"
    case = Case.objects.get()
    assert case.kind == "complaint" and unclear.case == case
    assert AuditEntry.objects.get(action="inbox.decided").actor_label == "staff:sue"
    # Decided once: it no longer waits, and deciding again changes nothing.
    assert "关于上次的电话" not in client.get("/console/inbox/").content.decode()
    client.post(f"/console/inbox/{unclear.public_id}/", {"choice": "nothing"})
    unclear.refresh_from_db()
    assert unclear.outcome == Outcome.CASE_OPENED and Case.objects.count() == 1


def test_nothing_to_do_closes_it(support, client_for, unclear):
    client_for(support).post(f"/console/inbox/{unclear.public_id}/", {"choice": "nothing"})
    unclear.refresh_from_db()
    assert unclear.outcome == Outcome.NOTHING


def test_staff_without_the_mailbox_or_cases_are_refused(sales_expert, client_for, unclear):
    client = client_for(sales_expert)
    assert client.get("/console/inbox/").status_code == 403
    assert client.get(f"/console/inbox/{unclear.public_id}/").status_code == 403
    response = client.post(f"/console/inbox/{unclear.public_id}/", {"choice": "nothing"})
    assert response.status_code == 403
    unclear.refresh_from_db()
    assert unclear.outcome == Outcome.TRIAGE


def test_the_officer_confirms_do_not_contact_with_one_click(privacy_officer, client_for):
    person, _ = person_upsert(
        actor=Actor.system("test"), source="web_form", email="li@acme-robotics.cn", language="en"
    )
    message = inbound_receive(
        mail(sender=person.email, subject="Do not contact", body="Stop contacting our company."),
        source="imap",
    )
    client = client_for(privacy_officer)
    page = client.get(f"/console/inbox/{message.public_id}/").content.decode()
    assert "确认拒绝联系" in page
    client.post(
        f"/console/inbox/{message.public_id}/", {"action": "confirm", "scope": "organisation"}
    )
    assert OptOut.objects.get().organization == person.organization
    message.refresh_from_db()
    assert message.outcome == Outcome.CONFIRMED


def test_support_cannot_confirm_an_opt_out(support, client_for):
    person, _ = person_upsert(
        actor=Actor.system("test"), source="web_form", email="li@acme-robotics.cn", language="en"
    )
    message = inbound_receive(
        mail(sender=person.email, subject="Do not contact me", body="Please."), source="imap"
    )
    response = client_for(support).post(
        f"/console/inbox/{message.public_id}/", {"action": "confirm", "scope": "person"}
    )
    assert response.status_code == 403
    assert not OptOut.objects.exists()
    assert InboundMessage.objects.get().outcome == Outcome.AWAITING_CONFIRMATION
