"""What the inbox believes of mail anyone can write: a report must name a message we sent, a
reply must come from the case's requester, a Message-ID proves nothing alone, and Pledge never
answers mail in a loop or without limit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pledge.cases.models import Case
from pledge.inbox.models import Classification, InboundMessage, Outcome
from pledge.inbox.services import inbound_receive
from pledge.inbox.tests.conftest import arf, dsn, mail
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
from pledge.people.models import ConsentMethod
from pledge.people.services import consent_record, person_upsert
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

SYSTEM = Actor.system("test")
CASES_PER_SENDER_PER_DAY = 3  # as docs/inbox.md says


def subscribed(email: str, *lists: str):
    person, _ = person_upsert(
        actor=SYSTEM, source="web_form", email=email, name="Li Lei", language="zh-hans"
    )
    for list_key in lists:
        consent_record(
            person=person,
            subject=f"list:{list_key}",
            granted=True,
            text="订阅",
            language="zh-hans",
            method=ConsentMethod.FORM,
            actor=SYSTEM,
        )
        Subscription.objects.create(
            person=person,
            list_key=list_key,
            status=SubscriptionStatus.ACTIVE,
            confirmed_at=timezone.now(),
        )
    return person


@pytest.fixture
def li():
    return subscribed("li.lei@acme-robotics.cn", "newsletter", "promotions")


def delivery(person) -> tuple[CampaignRecipient, str]:
    """A campaign message sent to ``person``, and its Message-ID."""
    campaign = Campaign.objects.create(
        list_key="newsletter", name="June", subject={}, body={}, created_by="staff:mia"
    )
    recipient = CampaignRecipient.objects.create(
        campaign=campaign, person=person, language="zh-hans", status=RecipientStatus.SENT
    )
    return recipient, message_id_of(campaign, recipient.pk)


# --- Finding 1: forged bounces and spam reports -------------------------------------------


def test_a_forged_bounce_naming_a_held_person_suppresses_nobody(li):
    message = inbound_receive(
        dsn(recipient=li.email, status="5.1.1", sender="attacker@evil.example"), source="smtp"
    )
    assert not Suppression.objects.exists()
    assert message.outcome == Outcome.TRIAGE and message.note == "unmatched_report"


def test_a_forged_spam_report_naming_a_held_person_suppresses_nobody(li):
    message = inbound_receive(
        arf(recipient=li.email, sender="attacker@evil.example"), source="smtp"
    )
    assert not Suppression.objects.exists()
    assert message.outcome == Outcome.TRIAGE and message.note == "unmatched_report"


def test_a_report_about_our_message_to_someone_else_suppresses_nobody(li):
    """The attacker's own campaign copy names the attacker, not the person they report."""
    attacker = subscribed("attacker@evil.example", "newsletter")
    _recipient, original = delivery(attacker)
    bounce = inbound_receive(
        dsn(recipient=li.email, status="5.1.1", original_id=original), source="smtp"
    )
    report = inbound_receive(arf(recipient=li.email, original_id=original), source="smtp")
    assert not Suppression.objects.exists()
    assert bounce.outcome == report.outcome == Outcome.TRIAGE


def test_a_bounce_of_our_message_suppresses_only_its_recipient(li):
    recipient, original = delivery(li)
    raw = dsn(recipient=li.email, status="5.1.1", original_id=original).replace(
        b"Final-Recipient: rfc822;",
        b"Final-Recipient: rfc822; other@example.cn\r\nStatus: 5.1.1\r\n\r\nFinal-Recipient: rfc822;",
        1,
    )
    message = inbound_receive(raw, source="smtp")
    assert message.outcome == Outcome.SUPPRESSED
    assert list(Suppression.objects.values_list("reason", flat=True)) == ["bounce"]
    assert suppression_find(li.email) is not None
    assert suppression_find("other@example.cn") is None
    recipient.refresh_from_db()
    assert recipient.bounced_at is not None


def test_a_spam_report_naming_our_message_in_references_suppresses_its_recipient(li):
    recipient, original = delivery(li)
    raw = arf(recipient=li.email, original_id="<someone-elses@example.cn>").replace(
        b"MIME-Version: 1.0\r\n", f"References: {original}\r\nMIME-Version: 1.0\r\n".encode(), 1
    )
    message = inbound_receive(raw, source="imap")
    assert message.outcome == Outcome.SUPPRESSED
    assert suppression_find(li.email).reason == "complaint"
    recipient.refresh_from_db()
    assert recipient.complained_at is not None


# --- Finding 2: no mail loop ---------------------------------------------------------------


def unsubscribe(person, subject="退订", headers=None):
    return inbound_receive(
        mail(sender=person.email, subject=subject, body="退订", headers=headers), source="smtp"
    )


def test_the_unsubscribe_confirmation_says_it_is_an_automatic_reply(
    li, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        unsubscribe(li)
    confirmation = Message.objects.get(kind="inbox_unsubscribed")
    assert confirmation.headers == {"Auto-Submitted": "auto-replied"}


def test_a_reply_to_the_unsubscribe_confirmation_sends_nothing(li):
    unsubscribe(li)
    reply = unsubscribe(li, subject="Re: 您已退订")
    assert reply.outcome == Outcome.NOT_SUBSCRIBED
    assert Message.objects.filter(kind="inbox_unsubscribed").count() == 1


def test_an_unsubscribe_from_someone_on_no_list_sends_nothing():
    person = subscribed("wang@example.cn")
    message = unsubscribe(person)
    assert message.outcome == Outcome.NOT_SUBSCRIBED
    assert not Message.objects.exists()


def test_one_unsubscribe_confirmation_a_day_at_most(li):
    _recipient, original = delivery(li)
    first = unsubscribe(li, headers={"In-Reply-To": original})  # leaves the newsletter only
    second = unsubscribe(li)  # leaves the promotions: still no second confirmation
    assert first.outcome == Outcome.UNSUBSCRIBED
    assert second.outcome == Outcome.UNSUBSCRIBED_QUIETLY
    assert Message.objects.filter(kind="inbox_unsubscribed").count() == 1
    assert not Subscription.objects.filter(person=li, status=SubscriptionStatus.ACTIVE).exists()


def test_an_unsubscribe_confirmation_goes_again_after_a_day(li):
    _recipient, original = delivery(li)
    unsubscribe(li, headers={"In-Reply-To": original})
    Message.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert unsubscribe(li).outcome == Outcome.UNSUBSCRIBED
    assert Message.objects.filter(kind="inbox_unsubscribed").count() == 2


def test_the_acknowledgement_of_a_case_opened_by_email_is_an_automatic_reply():
    inbound_receive(
        mail(sender="wang@example.cn", subject="投诉", body="我要投诉。"), source="smtp"
    )
    acknowledgement = Message.objects.get(kind="case_received")
    assert acknowledgement.headers["Auto-Submitted"] == "auto-replied"


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "list"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"List-Id": "<news.example.cn>"},
    ],
)
def test_list_and_bulk_mail_is_kept_and_never_answered(li, headers):
    message = unsubscribe(li, headers=headers)
    assert message.classification == Classification.AUTO_REPLY
    assert message.outcome == Outcome.KEPT
    assert not Message.objects.exists()
    assert Subscription.objects.filter(person=li, status=SubscriptionStatus.ACTIVE).count() == 2


# --- Finding 4: only the requester joins a case -----------------------------------------------


def test_a_stranger_quoting_a_case_reference_does_not_join_it():
    case = inbound_receive(
        mail(sender="wang.fang@example.cn", subject="投诉", body="我要投诉。"), source="smtp"
    ).case
    stranger = inbound_receive(
        mail(sender="attacker@evil.example", subject=f"Re: 您的请求（{case.reference}）"),
        source="smtp",
    )
    assert stranger.case is None
    assert stranger.outcome == Outcome.TRIAGE and stranger.note == "not_requester"
    assert not AuditEntry.objects.filter(action="case.email_received").exists()


# --- Finding 5: a Message-ID proves nothing alone -----------------------------------------


def test_a_different_message_reusing_a_message_id_is_kept_for_staff():
    first = inbound_receive(
        mail(sender="wang@example.cn", subject="投诉", body="我要投诉。", message_id="<x@e.cn>"),
        source="smtp",
    )
    other = inbound_receive(
        mail(sender="zhao@example.cn", subject="投诉", body="我也要投诉。", message_id="<x@e.cn>"),
        source="smtp",
    )
    assert other.pk != first.pk and InboundMessage.objects.count() == 2
    assert other.outcome == Outcome.TRIAGE and other.note == "reused_message_id"
    assert other.sender == "zhao@example.cn"
    assert Case.objects.count() == 1


# --- Finding 8: no unlimited acknowledgements to one address -------------------------------


def test_an_address_opens_a_few_cases_a_day_and_then_waits_for_staff():
    messages = [
        inbound_receive(
            mail(sender="victim@example.cn", subject="投诉", body=f"我要投诉 {number}。"),
            source="smtp",
        )
        for number in range(CASES_PER_SENDER_PER_DAY + 1)
    ]
    assert Case.objects.count() == CASES_PER_SENDER_PER_DAY
    assert Message.objects.filter(kind="case_received").count() == CASES_PER_SENDER_PER_DAY
    assert messages[-1].outcome == Outcome.TRIAGE and messages[-1].note == "too_many_cases"
