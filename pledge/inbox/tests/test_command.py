"""`pledge inbox receive < message.eml`: a mail server's pipe transport hands one message over."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pledge.inbox.models import Classification, InboundMessage
from pledge.inbox.tests.conftest import mail

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


class Stdin:
    def __init__(self, raw: bytes):
        self.buffer = io.BytesIO(raw)


def test_a_message_piped_in_is_stored_and_handled(monkeypatch):
    monkeypatch.setattr("sys.stdin", Stdin(mail(subject="退订", body="退订")))
    out = io.StringIO()
    call_command("inbox", "receive", stdout=out)
    message = InboundMessage.objects.get()
    assert message.source == "pipe" and message.classification == Classification.UNSUBSCRIBE
    assert str(message.public_id) in out.getvalue()


def test_nothing_piped_in_is_an_error(monkeypatch):
    monkeypatch.setattr("sys.stdin", Stdin(b""))
    with pytest.raises(CommandError):
        call_command("inbox", "receive")
    assert not InboundMessage.objects.exists()


def test_polling_without_a_mailbox_says_so(settings):
    settings.INBOUND_URL = ""
    with pytest.raises(CommandError, match="INBOUND_URL is not set"):
        call_command("inbox", "poll")
