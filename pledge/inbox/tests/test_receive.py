"""What Pledge does with mail that reaches the service mailbox (issue 14, incoming half).

Messages are built as mail clients and mail servers write them and go through
``inbound_receive``, the one way in; the effects are asserted on the rows, the mail queued and
the audit log.
"""

import re

import pytest
from django.utils import timezone

from pledge.cases.models import Case, Identity
from pledge.cases.rights import rights_erase
from pledge.cases.services import CASE_MESSAGE_ID
from pledge.cases.tests.seeding import deletion_case
from pledge.inbox.models import Classification, InboundMessage, Outcome, Scope
from pledge.inbox.services import inbound_do_not_contact_confirm, inbound_receive
from pledge.inbox.tests.conftest import arf, authenticated, dsn, mail
from pledge.mail.campaigns import message_id_of
from pledge.mail.models import (
    Campaign,
    CampaignRecipient,
    Message,
    RecipientStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from pledge.mail.suppressions import suppression_find
from pledge.people.models import ConsentMethod, OptOut, OptOutKind
from pledge.people.optouts import opted_out
from pledge.people.registry import registry_export
from pledge.people.services import consent_record, person_upsert
from pledge.people.timeline import person_timeline
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

SYSTEM = Actor.system("test")


@pytest.fixture
def li():
    """Li Lei, on the newsletter, at a company address (an organisation)."""
    person, _ = person_upsert(
        actor=SYSTEM,
        source="web_form",
        email="li.lei@acme-robotics.cn",
        name="Li Lei",
        company="Acme Robotics",
        language="zh-hans",
    )
    consent_record(
        person=person,
        subject="list:newsletter",
        granted=True,
        text="订阅新闻简报",
        language="zh-hans",
        method=ConsentMethod.FORM,
        actor=SYSTEM,
    )
    Subscription.objects.create(
        person=person,
        list_key="newsletter",
        status=SubscriptionStatus.ACTIVE,
        confirmed_at=timezone.now(),
    )
    return person


def test_an_email_saying_unsubscribe_in_chinese_unsubscribes_its_sender(
    li, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = inbound_receive(
            mail(
                sender="Li Lei <LI.LEI@acme-robotics.cn>", subject="Re: 新闻", body="退订\n\n谢谢"
            ),
            source="smtp",
        )
    assert message.classification == Classification.UNSUBSCRIBE
    assert message.outcome == Outcome.UNSUBSCRIBED
    assert message.person == li
    subscription = Subscription.objects.get(person=li, list_key="newsletter")
    assert subscription.status != SubscriptionStatus.ACTIVE
    withdrawn = li.consents.filter(subject="list:newsletter", granted=False).get()
    assert withdrawn.method == ConsentMethod.EMAIL
    confirmation = Message.objects.get(kind="inbox_unsubscribed")
    assert confirmation.to == li.email and confirmation.person == li
    assert confirmation.subject == "您已退订"


def test_an_unsubscribe_from_an_unknown_sender_answers_nothing():
    message = inbound_receive(mail(sender="nobody@else.cn", subject="unsubscribe"), source="smtp")
    assert message.classification == Classification.UNSUBSCRIBE
    assert message.outcome == Outcome.UNKNOWN_SENDER
    assert not Message.objects.exists()


def test_a_complaint_by_email_becomes_a_case_whose_reference_is_in_the_reply():
    message = inbound_receive(
        mail(sender="wang.fang@example.cn", subject="投诉", body="我要投诉你们的销售电话。"),
        source="imap",
    )
    case = Case.objects.get()
    assert message.classification == Classification.COMPLAINT
    assert message.outcome == Outcome.CASE_OPENED and message.case == case
    assert case.kind == "complaint" and case.channel == "email"
    assert case.language == "zh-hans" and case.identity == Identity.UNVERIFIED
    assert case.details == "我要投诉你们的销售电话。"
    acknowledgement = Message.objects.get(kind="case_received")
    assert acknowledgement.to == "wang.fang@example.cn"
    assert case.reference in acknowledgement.subject


def test_an_access_request_in_english_opens_an_unverified_access_case():
    message = inbound_receive(
        mail(
            sender="amy@example.com",
            subject="My data",
            body="Hello,\nI would like access to my personal data.\nAmy",
            headers={
                "Authentication-Results": "mx.letsgonex.com; spf=pass smtp.mailfrom=example.com;"
                " dkim=fail header.d=example.com; dmarc=fail header.from=example.com"
            },
        ),
        source="smtp",
    )
    case = message.case
    assert message.classification == Classification.REQUEST and case.kind == "access"
    assert case.language == "en" and case.identity == Identity.UNVERIFIED
    assert message.authentication == {
        "spf": "pass",
        "dkim": "fail",
        "dmarc": "fail",
        "passed": {"spf": ["example.com"]},
    }


def test_a_reply_quoting_a_case_reference_joins_the_case():
    case = inbound_receive(
        mail(sender="wang.fang@example.cn", subject="投诉", body="我要投诉。"), source="smtp"
    ).case
    reply = inbound_receive(
        mail(
            sender="wang.fang@example.cn",
            subject=f"Re: 我们已收到您的请求（{case.reference}）",
            body="补充一点信息。\n\n在 2026年6月1日，service 写道：\n> 我们已收到",
        ),
        source="smtp",
    )
    assert reply.classification == Classification.CASE_REPLY
    assert reply.outcome == Outcome.JOINED_CASE and reply.case == case
    assert reply.text == "补充一点信息。"
    entry = AuditEntry.objects.get(action="case.email_received")
    assert entry.object_id == str(case.public_id)
    assert entry.details == {"message": str(reply.public_id), "from_requester": True}
    assert Case.objects.count() == 1


def test_a_reply_to_our_email_about_a_case_joins_it_by_its_in_reply_to():
    """A mail client's reply keeps no reference in the subject, but names the message it
    answers: our acknowledgement's Message-ID, sealed, brings it to the case; a forged one not."""
    case = inbound_receive(
        mail(sender="wang.fang@example.cn", subject="投诉", body="我要投诉。"), source="smtp"
    ).case
    acknowledgement = Message.objects.get(kind="case_received")
    ours = acknowledgement.headers["Message-ID"]
    assert case.public_id.hex in ours
    reply = inbound_receive(
        mail(
            sender="wang.fang@example.cn",
            subject="回复：收到",
            body="还有一件事。",
            headers={"In-Reply-To": ours, "References": ours},
        ),
        source="smtp",
    )
    assert reply.classification == Classification.CASE_REPLY and reply.case == case
    forged = re.sub(r"\.[0-9a-f]{16}@", "." + "0" * 16 + "@", ours)
    assert forged != ours and CASE_MESSAGE_ID.search(forged)
    stranger = inbound_receive(
        mail(
            sender="wang.fang@example.cn",
            subject="回复：收到",
            body="再说一件事。",
            headers={"In-Reply-To": forged},
        ),
        source="smtp",
    )
    assert stranger.case is None and stranger.classification != Classification.CASE_REPLY


def test_a_permanent_bounce_suppresses_the_address_and_marks_the_campaign(li):
    campaign = Campaign.objects.create(
        list_key="newsletter", name="June", subject={}, body={}, created_by="staff:mia"
    )
    recipient = CampaignRecipient.objects.create(
        campaign=campaign, person=li, language="zh-hans", status=RecipientStatus.SENT
    )
    original = message_id_of(campaign, recipient.pk)
    message = inbound_receive(
        dsn(recipient=li.email, status="5.1.1", original_id=original), source="smtp"
    )
    assert message.classification == Classification.BOUNCE
    assert message.outcome == Outcome.SUPPRESSED
    suppression = suppression_find(li.email)
    assert suppression.reason == "bounce" and suppression.detail == "5.1.1"
    recipient.refresh_from_db()
    assert recipient.bounced_at is not None
    assert not Message.objects.exists()  # a bounce is never answered


def test_a_temporary_bounce_suppresses_nothing():
    message = inbound_receive(dsn(recipient="busy@example.cn", status="4.2.2"), source="smtp")
    assert message.classification == Classification.BOUNCE
    assert message.outcome == Outcome.TEMPORARY_FAILURE
    assert not Suppression.objects.exists()


def test_a_spam_complaint_report_suppresses_the_address(li):
    campaign = Campaign.objects.create(
        list_key="newsletter", name="June", subject={}, body={}, created_by="staff:mia"
    )
    recipient = CampaignRecipient.objects.create(
        campaign=campaign, person=li, language="zh-hans", status=RecipientStatus.SENT
    )
    original = message_id_of(campaign, recipient.pk)
    message = inbound_receive(arf(recipient=li.email, original_id=original), source="imap")
    assert message.classification == Classification.COMPLAINT_REPORT
    assert message.outcome == Outcome.SUPPRESSED
    assert suppression_find(li.email).reason == "complaint"
    recipient.refresh_from_db()
    assert recipient.complained_at is not None


@pytest.mark.parametrize(
    "headers,subject",
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: 投诉处理"),
        ({"X-Autoreply": "yes"}, "Re: complaint"),
        ({"Precedence": "auto_reply"}, "Re: unsubscribe"),
        ({}, "自动回复：我正在休假"),
        ({}, "Out of Office: back on Monday"),
    ],
)
def test_an_automatic_reply_opens_nothing_and_is_never_answered(li, headers, subject):
    message = inbound_receive(
        mail(
            sender=li.email, subject=subject, body="我不在办公室。投诉请联系同事。", headers=headers
        ),
        source="smtp",
    )
    assert message.classification == Classification.AUTO_REPLY
    assert message.outcome == Outcome.KEPT
    assert not Case.objects.exists() and not Message.objects.exists()
    assert Subscription.objects.get(person=li).status == SubscriptionStatus.ACTIVE


def test_the_same_message_delivered_twice_is_stored_and_acted_on_once():
    raw = mail(sender="wang.fang@example.cn", subject="投诉", body="我要投诉。")
    first = inbound_receive(raw, source="imap")
    again = inbound_receive(raw.replace(b"From:", b"Received: by mx2\r\nFrom:", 1), source="smtp")
    assert again.pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert Case.objects.count() == 1
    assert Message.objects.filter(kind="case_received").count() == 1


def test_a_message_without_message_id_is_kept_once_by_its_bytes():
    raw = b"From: a@example.cn\r\nSubject: hello\r\n\r\nhello\r\n"
    assert inbound_receive(raw, source="pipe").pk == inbound_receive(raw, source="pipe").pk
    assert InboundMessage.objects.count() == 1


def test_a_message_over_the_size_limit_is_kept_whole_but_not_parsed(settings):
    settings.PLEDGE_INBOUND_MAX_BYTES = 2000
    raw = mail(sender="big@example.cn", subject="投诉 with a big file", body="投诉" + "x" * 5000)
    message = inbound_receive(raw, source="imap")
    assert message.parsed is False
    assert message.raw_bytes == raw
    assert message.classification == Classification.TRIAGE
    assert message.outcome == Outcome.TRIAGE and message.note == "too_large"
    assert message.sender == "big@example.cn" and message.text == ""
    assert not Case.objects.exists()


def test_malformed_mime_goes_to_triage_without_error():
    raw = (
        b"From: =?utf-8?B?broken\r\nTo: service@letsgonex.com\r\nSubject: =?x-unknown?Q?=FF=FE?=\r\n"
        b"Message-ID: <broken@example.cn>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        b"--never-closed\r\nContent-Type: text/plain; charset=no-such-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n@@@not base64@@@\r\n"
        b'--never-closed\r\nContent-Type: application/octet-stream; name="x.exe"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n"
    )
    message = inbound_receive(raw, source="smtp")
    assert message.classification == Classification.TRIAGE
    assert message.outcome == Outcome.TRIAGE
    assert message.raw_bytes == raw
    assert [attachment["name"] for attachment in message.attachments] == ["x.exe"]


def test_a_message_asking_two_things_waits_for_staff(li):
    message = inbound_receive(
        mail(sender=li.email, subject="退订", body="请删除我的数据，并且我要投诉。"), source="smtp"
    )
    assert message.classification == Classification.TRIAGE and message.note == "several_wishes"
    assert Subscription.objects.get(person=li).status == SubscriptionStatus.ACTIVE


def test_a_failing_action_leaves_the_message_in_triage_with_the_error(li, monkeypatch):
    from pledge.inbox import services

    def broken(*args, **kwargs):
        raise RuntimeError("the list service is down")

    monkeypatch.setattr(services, "subscriptions_unsubscribe", broken)
    message = inbound_receive(mail(sender=li.email, subject="unsubscribe"), source="smtp")
    assert message.classification == Classification.TRIAGE
    assert message.outcome == Outcome.FAILED and message.note == "error:RuntimeError"
    assert message.raw_bytes  # kept
    assert Subscription.objects.get(person=li).status == SubscriptionStatus.ACTIVE


def test_do_not_contact_our_company_opens_a_case_and_the_officer_confirms_it(li, privacy_officer):
    message = inbound_receive(
        mail(
            sender=li.email,
            subject="请勿联系",
            body="请不要再联系我们公司的任何人。",
            headers=authenticated("acme-robotics.cn"),
        ),
        source="imap",
    )
    assert message.classification == Classification.DO_NOT_CONTACT
    assert message.scope == Scope.ORGANISATION
    assert message.outcome == Outcome.AWAITING_CONFIRMATION
    case = message.case
    assert case.kind == "do_not_contact" and case.channel == "email"
    assert not OptOut.objects.exists()  # nothing set before the officer confirms

    inbound_do_not_contact_confirm(message=message, actor=Actor.staff(privacy_officer))

    opt_out = OptOut.objects.get()
    assert opt_out.organization == li.organization and opt_out.person is None
    assert opt_out.kind == OptOutKind.DO_NOT_CONTACT and opt_out.channel == "email"
    assert opted_out(li, OptOutKind.DO_NOT_CONTACT)
    case.refresh_from_db()
    assert case.status == "done" and case.identity == Identity.VERIFIED_STAFF
    message.refresh_from_db()
    assert message.outcome == Outcome.CONFIRMED and message.handled_by == "staff:pat"


def test_only_staff_working_cases_confirm_a_do_not_contact(li, support):
    from django.core.exceptions import PermissionDenied

    message = inbound_receive(
        mail(sender=li.email, subject="do not contact me", body="Stop contacting me."),
        source="imap",
    )
    assert message.scope == Scope.PERSON
    with pytest.raises(PermissionDenied):
        inbound_do_not_contact_confirm(message=message, actor=Actor.staff(support))
    assert not OptOut.objects.exists()


def test_an_inbound_message_is_in_the_persons_export_and_timeline_and_gone_after_erasure(
    li, privacy_officer, django_capture_on_commit_callbacks
):
    inbound_receive(
        mail(sender=li.email, subject="关于演示的问题", body="下次活动是什么时候？"), source="imap"
    )
    exported = registry_export(li)["inbox.messages"]
    assert exported == [
        {
            "received_at": exported[0]["received_at"],
            "sender": li.email,
            "subject": "关于演示的问题",
            "classification": "交由工作人员决定",
            "text": "下次活动是什么时候？",
            "attachments": [],
        }
    ]
    entries = [entry for entry in person_timeline(li) if entry.kind == "email_received"]
    assert len(entries) == 1 and "关于演示的问题" in entries[0].summary

    case = deletion_case(li, privacy_officer)
    with django_capture_on_commit_callbacks(execute=True):
        rights_erase(person=li, actor=Actor.staff(privacy_officer), case=case)
    assert not InboundMessage.objects.exists()


def on_two_lists(person):
    Subscription.objects.create(
        person=person,
        list_key="promotions",
        status=SubscriptionStatus.ACTIVE,
        confirmed_at=timezone.now(),
    )
    campaign = Campaign.objects.create(
        list_key="newsletter", name="June", subject={}, body={}, created_by="staff:mia"
    )
    return CampaignRecipient.objects.create(
        campaign=campaign, person=person, language="zh-hans", status=RecipientStatus.SENT
    )


def test_unsubscribe_in_reply_to_a_campaign_leaves_only_its_list(li):
    recipient = on_two_lists(li)
    original = message_id_of(recipient.campaign, recipient.pk)
    message = inbound_receive(
        mail(
            sender=li.email,
            subject="Re: June",
            body="unsubscribe",
            headers={"In-Reply-To": original, "References": original},
        ),
        source="imap",
    )
    assert message.outcome == Outcome.UNSUBSCRIBED
    statuses = dict(Subscription.objects.filter(person=li).values_list("list_key", "status"))
    assert statuses["promotions"] == SubscriptionStatus.ACTIVE
    assert statuses["newsletter"] != SubscriptionStatus.ACTIVE
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None


def test_the_list_unsubscribe_mailto_token_unsubscribes_whoever_it_was_sent_to(li):
    preferences = pytest.importorskip("pledge.mail.preferences")
    recipient = on_two_lists(li)
    token = preferences.preference_token(li, recipient=recipient, list_key="newsletter")
    message = inbound_receive(
        mail(sender="forwarding@mailer.example", subject=f"unsubscribe {token}"), source="smtp"
    )
    assert message.person is None  # the sender is no one we know; the token names Li
    assert message.outcome == Outcome.UNSUBSCRIBED
    statuses = dict(Subscription.objects.filter(person=li).values_list("list_key", "status"))
    assert statuses == {
        "newsletter": statuses["newsletter"],
        "promotions": SubscriptionStatus.ACTIVE,
    }
    assert statuses["newsletter"] != SubscriptionStatus.ACTIVE


def test_pledges_own_mail_coming_back_is_kept_and_never_acted_on():
    """The privacy team's notice of a new case goes to the service mailbox: no loop."""
    from pledge.inventory.loader import current_inventory

    mailbox = current_inventory().organization.service_mailbox
    message = inbound_receive(
        mail(sender=f"Pledge <{mailbox}>", subject="新案件：投诉", body="投诉 请在控制台处理"),
        source="imap",
    )
    assert message.classification == Classification.AUTO_REPLY
    assert message.outcome == Outcome.KEPT
    assert not Case.objects.exists() and not Message.objects.exists()


def test_the_export_lists_each_attachments_name_type_and_size(li):
    raw = (
        f"From: {li.email}\r\nSubject: my CV\r\nMessage-ID: <cv@acme-robotics.cn>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        '--b\r\nContent-Type: application/pdf; name="cv.pdf"\r\n'
        'Content-Disposition: attachment; filename="cv.pdf"\r\n\r\n%PDF-1.4 xx\r\n--b--\r\n'
    ).encode()
    inbound_receive(raw, source="smtp")
    exported = registry_export(li)["inbox.messages"]
    assert exported[0]["attachments"] == [
        {"name": "cv.pdf", "type": "application/pdf", "size": len(b"%PDF-1.4 xx")}
    ]
