"""The console's inbox: what waits for staff, and staff deciding what a message is (with
JavaScript off: plain forms)."""

import pytest

from pledge.cases.models import Case
from pledge.inbox.models import Classification, InboundMessage, Outcome
from pledge.inbox.services import inbound_receive
from pledge.inbox.tests.conftest import authenticated, mail
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
        mail(
            sender=person.email,
            subject="Do not contact",
            body="Stop contacting our company.",
            headers=authenticated("acme-robotics.cn"),
        ),
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


def do_not_contact_from(email: str, **headers):
    person, _ = person_upsert(
        actor=Actor.system("test"), source="web_form", email=email, language="en"
    )
    message = inbound_receive(
        mail(sender=email, subject="Do not contact me", body="Please.", headers=headers),
        source="imap",
    )
    return person, message


def test_an_unauthenticated_sender_gets_a_verification_link_not_an_opt_out(
    privacy_officer, client_for
):
    from pledge.cases.models import Identity
    from pledge.cases.services import case_verified_by_link
    from pledge.mail.models import Message

    person, message = do_not_contact_from(
        "li@acme-robotics.cn",
        **{"Authentication-Results": "mx.letsgonex.com; spf=fail; dkim=none; dmarc=fail"},
    )
    client = client_for(privacy_officer)
    client.post(f"/console/inbox/{message.public_id}/", {"action": "confirm", "scope": "person"})
    assert not OptOut.objects.exists()
    message.refresh_from_db()
    case = message.case
    assert message.outcome == Outcome.AWAITING_VERIFICATION
    assert case.identity == Identity.LINK_SENT and case.status != "done"
    link_mail = Message.objects.get(kind="portal_link")
    assert link_mail.to == person.email
    page = client.get(f"/console/inbox/{message.public_id}/").content.decode()
    assert "已向我们存有的地址发送验证链接" in page
    assert "确认拒绝联系" not in page  # nothing to confirm until the link is followed

    case_verified_by_link(case=case, actor=Actor.system("test"))  # the requester followed it
    page = client.get(f"/console/inbox/{message.public_id}/").content.decode()
    assert "确认拒绝联系" in page
    client.post(f"/console/inbox/{message.public_id}/", {"action": "confirm", "scope": "person"})
    assert OptOut.objects.get().person == person
    case.refresh_from_db()
    assert case.identity == Identity.VERIFIED_EMAIL and case.status == "done"


def test_an_authenticated_sender_is_verified_by_staff_and_opted_out_at_once(
    privacy_officer, client_for
):
    from pledge.cases.models import Identity

    person, message = do_not_contact_from(
        "li@acme-robotics.cn", **authenticated("acme-robotics.cn")
    )
    client_for(privacy_officer).post(
        f"/console/inbox/{message.public_id}/", {"action": "confirm", "scope": "person"}
    )
    assert OptOut.objects.get().person == person
    message.refresh_from_db()
    assert message.outcome == Outcome.CONFIRMED
    assert message.case.identity == Identity.VERIFIED_STAFF


def test_dkim_passing_for_another_domain_does_not_verify_the_sender(privacy_officer):
    from pledge.inbox.services import inbound_do_not_contact_confirm

    _person, message = do_not_contact_from(
        "li@acme-robotics.cn",
        **{"Authentication-Results": "mx.letsgonex.com; dkim=pass header.d=evil.example"},
    )
    inbound_do_not_contact_confirm(message=message, actor=Actor.staff(privacy_officer))
    assert not OptOut.objects.exists()
    message.refresh_from_db()
    assert message.outcome == Outcome.AWAITING_VERIFICATION


def test_a_bogus_scope_or_choice_shows_a_sentence_not_an_error(
    privacy_officer, client_for, unclear
):
    _person, message = do_not_contact_from("li@acme-robotics.cn")
    client = client_for(privacy_officer)
    response = client.post(
        f"/console/inbox/{message.public_id}/", {"action": "confirm", "scope": "x"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "请选择不再联系的对象。" in page and "not a valid" not in page
    response = client.post(f"/console/inbox/{unclear.public_id}/", {"choice": "x"})
    page = response.content.decode()
    assert "请选择这封邮件属于哪一类。" in page
    assert "not a valid" not in page and "Select a valid choice" not in page
    assert not OptOut.objects.exists()
    message.refresh_from_db()
    assert message.outcome == Outcome.AWAITING_CONFIRMATION


def test_the_message_page_flags_a_stranger_quoting_a_case_reference(support, client_for):
    case = inbound_receive(
        mail(sender="wang.fang@example.cn", subject="投诉", body="我要投诉。"), source="smtp"
    ).case
    stranger = inbound_receive(
        mail(sender="attacker@evil.example", subject=f"Re: 您的请求（{case.reference}）"),
        source="smtp",
    )
    page = client_for(support).get(f"/console/inbox/{stranger.public_id}/").content.decode()
    assert "并非来自该案件的请求人" in page


def test_the_message_page_says_a_forged_report_names_no_message_we_sent(support, client_for):
    from pledge.inbox.tests.conftest import dsn

    message = inbound_receive(
        dsn(recipient="li@acme-robotics.cn", status="5.1.1", sender="attacker@evil.example"),
        source="smtp",
    )
    page = client_for(support).get(f"/console/inbox/{message.public_id}/").content.decode()
    assert "未指向我们发出的任何邮件" in page


def test_a_failed_handling_shows_no_exception_text(support, client_for):
    InboundMessage.objects.filter(pk=inbound_receive(mail(subject="hi"), source="smtp").pk).update(
        outcome=Outcome.FAILED, note="error:RuntimeError"
    )
    message = InboundMessage.objects.get()
    page = client_for(support).get(f"/console/inbox/{message.public_id}/").content.decode()
    assert "RuntimeError" not in page and "处理失败" in page
