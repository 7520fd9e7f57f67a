"""Polling a real IMAP server (dovecot, started by the ``dovecot`` fixture): messages are
delivered into it with APPEND, then read, stored and moved exactly as in production."""

from urllib.parse import unquote, urlsplit

import pytest
from imapclient import IMAPClient

from pledge.cases.models import Case
from pledge.inbox.imap import PollInterrupted, mailbox_from_url, mailbox_poll
from pledge.inbox.models import Classification, InboundMessage
from pledge.inbox.tasks import poll
from pledge.inbox.tests.conftest import dsn, mail

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def client_for(url: str) -> IMAPClient:
    parts = urlsplit(url)
    client = IMAPClient(parts.hostname, port=parts.port, ssl=False)
    client.login(parts.username, unquote(parts.password))
    return client


def deliver(url: str, *messages: bytes) -> None:
    with client_for(url) as client:
        for raw in messages:
            client.append("INBOX", raw)


def count(url: str, folder: str) -> int:
    with client_for(url) as client:
        if not client.folder_exists(folder):
            return 0
        return client.select_folder(folder, readonly=True)[b"EXISTS"]


def test_a_poll_stores_each_message_and_moves_it_to_the_processed_folder(dovecot, settings):
    settings.INBOUND_URL = dovecot
    deliver(
        dovecot,
        mail(sender="wang.fang@example.cn", subject="投诉", body="我要投诉。"),
        dsn(recipient="gone@example.cn", status="5.1.1"),
    )
    result = mailbox_poll()
    assert (result.seen, result.stored, result.moved) == (2, 2, 2)
    assert count(dovecot, "INBOX") == 0
    assert count(dovecot, "Pledge/Processed") == 2
    classifications = set(InboundMessage.objects.values_list("classification", flat=True))
    assert classifications == {Classification.COMPLAINT, Classification.BOUNCE}
    assert {message.source for message in InboundMessage.objects.all()} == {"imap"}
    assert Case.objects.count() == 1


def test_a_poll_interrupted_after_storing_loses_and_doubles_nothing(dovecot, settings):
    settings.INBOUND_URL = dovecot
    deliver(
        dovecot,
        *[
            mail(sender=f"person{n}@example.cn", subject="投诉", body=f"第 {n} 件投诉。")
            for n in range(3)
        ],
    )
    with pytest.raises(PollInterrupted):
        mailbox_poll(stop_after_storing=2)  # stored two, moved none: as if Pledge stopped
    assert InboundMessage.objects.count() == 2
    assert count(dovecot, "INBOX") == 3

    result = mailbox_poll()
    assert (result.seen, result.stored, result.moved) == (3, 1, 3)
    assert InboundMessage.objects.count() == 3
    assert Case.objects.count() == 3  # each complaint opened one case, none twice
    assert count(dovecot, "INBOX") == 0 and count(dovecot, "Pledge/Processed") == 3


def test_the_periodic_task_does_nothing_without_a_mailbox(settings):
    settings.INBOUND_URL = ""
    assert poll.call() == 0


def test_the_periodic_task_polls_the_mailbox(dovecot, settings):
    settings.INBOUND_URL = dovecot
    deliver(dovecot, mail(subject="hello", body="hello"))
    assert poll.call() == 1
    assert InboundMessage.objects.count() == 1


def test_the_mailbox_url_is_read_with_its_escaped_password():
    mailbox = mailbox_from_url("imaps://service%40letsgonex.com:p%3Ass@imap.example.cn/INBOX")
    assert (mailbox.host, mailbox.port, mailbox.secure) == ("imap.example.cn", 993, True)
    assert (mailbox.username, mailbox.password, mailbox.folder) == (
        "service@letsgonex.com",
        "p:ss",
        "INBOX",
    )
    with pytest.raises(ValueError):
        mailbox_from_url("pop3://someone@example.cn/")
