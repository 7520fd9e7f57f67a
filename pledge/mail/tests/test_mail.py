"""Outgoing mail: rendered in the recipient's language, queued on commit, sent over real SMTP."""

import pytest

from pledge.mail.models import Message, MessageStatus
from pledge.mail.services import mail_send, messages_retry
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = pytest.mark.clock


def send_notice(**overrides):
    arguments = {
        "kind": "notice",
        "to": "li.lei@example.cn",
        "language": "en",
        "context": {"subject": "Service update", "body": "Our terms changed."},
        "actor": Actor.system("test"),
    }
    return mail_send(**{**arguments, **overrides})


@pytest.mark.django_db
def test_a_message_travels_over_smtp_after_commit(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_notice()
        assert smtp_server.messages == []  # nothing leaves before the transaction commits
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["To"] == "li.lei@example.cn"
    assert received["Subject"] == "Service update"
    assert "Our terms changed." in received.get_body(("plain",)).get_content()
    assert "Our terms changed." in received.get_body(("html",)).get_content()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.sent_at
    assert AuditEntry.objects.filter(
        action="mail.queued", object_id=str(message.public_id)
    ).exists()


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing(smtp_server, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                send_notice()
                raise RuntimeError("the submission failed")
        except RuntimeError:
            pass
    assert smtp_server.messages == []
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_header_injection_is_flattened_i5(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_notice(
            to="li.lei@example.cn\r\nBcc: victim@example.com",
            context={"subject": "Hi\r\nBcc: victim@example.com", "body": "x"},
        )
    received = smtp_server.messages
    assert all("victim@example.com" not in message.recipients for message in received)
    assert all(message["Bcc"] is None for message in received)
    assert all("\n" not in message["Subject"] for message in received)


@pytest.mark.django_db
def test_an_unreachable_server_leaves_the_message_queued_for_retry(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        message = send_notice()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 1 and message.error.startswith("ConnectionRefusedError")


@pytest.mark.django_db
def test_a_message_stuck_in_a_dead_worker_is_sent_again_r4(smtp_server):
    from datetime import timedelta

    from django.utils import timezone

    message = send_notice()  # its on-commit delivery never ran: the worker "died"
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=30),
        created_at=timezone.now() - timedelta(minutes=30),
    )
    assert messages_retry() >= 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_a_fresh_message_cut_mid_send_is_sent_again_at_once_under_its_message_id_r4(
    settings, smtp_server
):
    """The drill's kill -9 of a worker mid-send: the mail server had the message, the worker
    died before recording it. A minute later, stuck past PLEDGE_MAIL_STUCK_SECONDS, it gets a
    new delivery at the next retry (not two minutes later), under the same Message-ID, so
    the reader's mail client shows it once."""
    from datetime import timedelta

    from django.utils import timezone

    from pledge.mail.services import message_deliver

    settings.PLEDGE_MAIL_STUCK_SECONDS = 20
    message = send_notice()
    message_deliver(message.pk)
    Message.objects.filter(pk=message.pk).update(  # what the dead worker left
        status=MessageStatus.SENDING,
        claimed_at=timezone.now() - timedelta(seconds=30),
        created_at=timezone.now() - timedelta(minutes=1),
    )
    assert messages_retry() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    first, again = smtp_server.messages
    assert first["Message-ID"] == again["Message-ID"]
    assert str(message.public_id) not in first["Message-ID"]


@pytest.mark.django_db
def test_a_message_a_live_worker_is_sending_is_left_to_it(settings, smtp_server):
    """Claimed five seconds ago: the worker may still be talking to the mail server."""
    from django.utils import timezone

    settings.PLEDGE_MAIL_STUCK_SECONDS = 20
    message = send_notice()
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, claimed_at=timezone.now()
    )
    assert messages_retry() == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING and not smtp_server.messages


@pytest.mark.django_db
def test_the_outbox_backend_keeps_the_message_for_the_console(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "pledge.mail.backends.OutboxBackend"
    with django_capture_on_commit_callbacks(execute=True):
        message = send_notice()
    message.refresh_from_db()
    assert message.status == MessageStatus.HELD


@pytest.mark.django_db
def test_the_message_is_rendered_in_the_recipients_language():
    message = send_notice(
        language="zh-hans", context={"subject": "服务更新", "body": "条款已更新。"}
    )
    assert message.subject == "服务更新"
    assert message.language == "zh-hans"
