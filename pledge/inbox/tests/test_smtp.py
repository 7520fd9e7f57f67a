"""The SMTP/LMTP receiver (aiosmtpd) with real clients (smtplib): it takes mail for the
service mailbox only, refuses what is too large, and answers 250 once the message is stored."""

import smtplib

import pytest

from pledge.cases.models import Case
from pledge.inbox.models import Classification, InboundMessage
from pledge.inbox.receiver import receiver_start
from pledge.inbox.tests.conftest import free_port, mail
from pledge.inventory.loader import current_inventory

# The receiver stores from its own thread, so the rows must be committed to be seen.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock]


@pytest.fixture
def service_mailbox():
    return current_inventory().organization.service_mailbox


@pytest.fixture
def receiver(settings):
    settings.INBOUND_SMTP_MAX_BYTES = 50_000
    controller = receiver_start(port=free_port())
    yield controller
    controller.stop()


def test_mail_to_the_service_mailbox_is_received_stored_and_handled(receiver, service_mailbox):
    with smtplib.SMTP(receiver.hostname, receiver.port, timeout=10) as client:
        refused = client.sendmail(
            "wang.fang@example.cn",
            [service_mailbox],
            mail(sender="wang.fang@example.cn", to=service_mailbox, subject="投诉", body="投诉。"),
        )
    assert refused == {}
    message = InboundMessage.objects.get()
    assert message.source == "smtp" and message.classification == Classification.COMPLAINT
    assert Case.objects.get().kind == "complaint"


def test_the_receiver_refuses_other_recipients(receiver):
    with (
        smtplib.SMTP(receiver.hostname, receiver.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.sendmail("spam@example.cn", ["someone@elsewhere.cn"], mail(subject="hi"))
    assert not InboundMessage.objects.exists()


def test_the_receiver_refuses_a_message_over_its_limit(receiver, service_mailbox):
    with (
        smtplib.SMTP(receiver.hostname, receiver.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPException) as refused,
    ):
        client.sendmail(
            "big@example.cn", [service_mailbox], mail(subject="big", body="x" * 100_000)
        )
    assert refused.value.smtp_code == 552
    assert not InboundMessage.objects.exists()


def test_the_receiver_listens_on_loopback_by_default(receiver):
    assert receiver.hostname == "127.0.0.1"


def test_the_lmtp_receiver_stores_the_message(settings, service_mailbox):
    controller = receiver_start(port=free_port(), lmtp=True)
    try:
        with smtplib.LMTP(controller.hostname, controller.port, timeout=10) as client:
            client.sendmail(
                "li@example.cn", [service_mailbox], mail(subject="自动回复：休假", body="x")
            )
    finally:
        controller.stop()
    message = InboundMessage.objects.get()
    assert message.source == "lmtp" and message.classification == Classification.AUTO_REPLY
